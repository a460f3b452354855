# --------------------------------------------------------------------------------------------
# Licensed under the MIT License.
# --------------------------------------------------------------------------------------------
"""REST dicts to and from SDK models, whichever model generation the running azure-cli ships.

The rest of the extension reads and writes REST dicts (camelCase keys). azure-cli up to 2.84 ships msrest-style
models (keyword construction, ``serialize``/``deserialize`` for the REST form, ``as_dict`` gives snake_case keys);
from 2.85 the models are TypeSpec ``_Model`` classes (built from a REST dict, ``as_dict`` gives REST keys). Both
generations convert with the SDK's own (de)serializer; this module only picks which one. It is the one place that
knows about the difference.
"""


def _is_msrest_style(model_class):
    # msrest-style models describe their REST shape in an attribute map; TypeSpec models do not have one
    return hasattr(model_class, "_attribute_map")


def to_rest(model):
    """The REST dict of an SDK model (read-only fields kept, absent fields left out); None for None."""
    if model is None:
        return None
    if _is_msrest_style(type(model)):
        return model.serialize(keep_readonly=True)
    return model.as_dict()


def from_rest(model_class, data):
    """An SDK model of ``model_class`` built from its REST dict."""
    if _is_msrest_style(model_class):
        return model_class.deserialize(data)
    return model_class(data)


def if_match_arguments(operation, etag):
    """Keyword arguments that make ``operation`` send ``If-Match: etag``.

    msrest-style operations take ``if_match``; TypeSpec ones take ``etag`` with a match condition.
    """
    import inspect
    if "if_match" in inspect.signature(operation).parameters:
        return {"if_match": etag}
    from azure.core import MatchConditions
    return {"etag": etag, "match_condition": MatchConditions.IfNotModified}


def managed_clusters_api_version(client):
    """The API version the client uses for managed clusters: the one azure-cli's profile picked (older, multi-API
    clients) or the SDK's own (newer clients)."""
    return client.managed_clusters._config.api_version  # pylint: disable=protected-access


def send_get(client, url):
    """GET ``url`` (a path, or an absolute nextLink) through the SDK client's own pipeline: its credential, and its
    retry policy, which obeys Retry-After on throttling. Returns the azure-core response; no model is built."""
    return send(client, "GET", url)


def send(client, method, url, body=None):
    """``method url`` (with a JSON ``body``) through the SDK client's own pipeline, as ``send_get`` does.

    Newer clients offer ``send_request`` (their base URL is a template it fills in); older multi-API clients only
    have the pipeline client they wrap, whose base URL is plain.
    """
    from azure.core.rest import HttpRequest
    if hasattr(client, "send_request"):
        return client.send_request(HttpRequest(method, url, json=body))
    pipeline = client._client  # pylint: disable=protected-access
    return pipeline.send_request(HttpRequest(method, pipeline.format_url(url), json=body))


def identity_bindings_operations(cli_ctx):
    """The AKS SDK's identity binding operations, or None when this azure-cli's AKS SDK has none (its API version
    predates them, or its multi-API client has no such operation group)."""
    from azure.cli.command_modules.acs._client_factory import get_container_service_client
    try:
        return getattr(get_container_service_client(cli_ctx), "identity_bindings", None)
    except (ValueError, NotImplementedError):
        return None
