"""The dependency rule of DESIGN.md, read from the import statements:
core imports nothing from the others; export imports core and protos; serving imports core,
export and protos; protos imports nothing of ours; nothing imports serving."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = {"core": "minitf", "export": "minitf.export", "serving": "minitf.serving",
            "protos": "minitf.protos"}
ALLOWED = {
    "core": set(),
    "protos": set(),
    "export": {"core", "protos"},
    "serving": {"core", "export", "protos"},
}


def _layer_of(module: str):
    if module == "minitf" or (module.startswith("minitf.") and module.split(".")[1] not in
                              ("export", "serving", "protos")):
        return "core"
    for folder, name in PACKAGES.items():
        if folder != "core" and (module == name or module.startswith(name + ".")):
            return folder
    return None


def _imports(path: pathlib.Path, package: str, source: str | None = None):
    """(line, absolute module) for every import in a file of ``package``'s folder."""
    tree = ast.parse(source if source is not None else path.read_text(), str(path))
    parts = list(path.relative_to(ROOT).with_suffix("").parts[1:])
    if parts and parts[-1] == "__init__":
        here = package.split(".") + parts[:-1]  # a package's own name
    else:
        here = package.split(".") + parts[:-1]  # the containing package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield node.lineno, module


@pytest.mark.parametrize("folder", list(PACKAGES))
def test_layering(folder):
    violations = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.name.endswith(("_pb2.py", "_pb2_grpc.py")):
            continue
        for lineno, module in _imports(path, PACKAGES[folder]):
            layer = _layer_of(module)
            if layer is None or layer == folder:
                continue
            if layer not in ALLOWED[folder]:
                violations.append(f"{path.relative_to(ROOT)}:{lineno} imports {module}")
    assert not violations, "\n".join(violations)


def test_nothing_outside_serving_imports_serving():
    offenders = []
    for folder in ("core", "export", "protos"):
        for path in (ROOT / folder).rglob("*.py"):
            for lineno, module in _imports(path, PACKAGES[folder]):
                if _layer_of(module) == "serving":
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}")
    assert not offenders


def test_the_checker_sees_violations():
    """The rule can fail: absolute and relative imports of export from core are both seen."""
    probe = ROOT / "core" / "ops" / "probe.py"  # parsed from text, never written
    found = [m for _, m in _imports(probe, "minitf", "from minitf.export import graph_def\n"
                                                     "from ..export import freeze\n")]
    assert [_layer_of(m) for m in found] == ["export", "export"]
    inside = [m for _, m in _imports(probe, "minitf", "from ..graph import Graph\n")]
    assert inside == ["minitf.graph"] and _layer_of(inside[0]) == "core"
