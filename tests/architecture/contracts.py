"""An import-linter contract of this project: pure modules stay pure.

import-linter records an import of any part of an external namespace package as the package itself (``azure``), so
its own forbidden contract cannot tell azure-cli's error classes (which carry azure-cli's exit codes, and which the
pure modules raise) from the SDKs and the rest of azure-cli. This contract reads each import line instead: a pure
module imports only other pure modules of the extension, and of the checked external packages only the lines that
``allowed`` starts with.
"""
from importlinter import Contract, ContractCheck, fields, output


class PureModulesContract(Contract):
    """Options: ``modules`` (the pure ones), ``checked_external`` (root packages whose imports are read, e.g. azure,
    knack) and ``allowed`` (the import lines of those packages a pure module may have)."""
    modules = fields.ListField(subfield=fields.ModuleField())
    checked_external = fields.ListField(subfield=fields.StringField())
    allowed = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose):
        pure = {module.name for module in self.modules}
        root = next(iter(pure)).split(".")[0]
        checked, allowed = set(self.checked_external), tuple(self.allowed)
        broken = []
        for module in sorted(pure):
            if module not in graph.modules:
                broken.append((module, "(not found: the contract names a module that does not exist)"))
                continue
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                if imported.split(".")[0] == root and imported not in pure:
                    broken.append((module, f"imports {imported}, which is not pure"))
                elif imported.split(".")[0] in checked:
                    for detail in graph.get_import_details(importer=module, imported=imported):
                        if not detail["line_contents"].startswith(allowed):
                            broken.append((module, f"line {detail['line_number']}: {detail['line_contents']}"))
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check):
        for module, why in check.metadata["broken"]:
            output.print_error(f"{module} {why}", bold=False)
            output.new_line()
