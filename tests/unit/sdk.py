"""SDK model classes of the API version the running azure-cli selects, as `cmd.get_models` picks them."""


def model_class(name, operation_group="managed_clusters"):
    from azure.cli.core.mock import DummyCli
    from azure.cli.core.profiles import ResourceType, get_sdk
    return get_sdk(DummyCli(), ResourceType.MGMT_CONTAINERSERVICE, name, mod="models",
                   operation_group=operation_group)
