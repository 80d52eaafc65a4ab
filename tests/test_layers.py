"""The package reads one way: a module imports only modules of a lower layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "softbank_kb"

# Top to bottom. A module may import a module of any layer below its own, inside a
# function or not (imports under `if TYPE_CHECKING:` aside), and none of its own layer
# or above: so there is no cycle either. docs/architecture.md draws the same list.
LAYERS: list[tuple[str, ...]] = [
    ("__main__",),
    ("cli",),  # click commands: parse, call one core function, hand over to render
    ("commands",),  # validate, verify, schema, export, graph, help, completion
    ("options",),  # click options, parameter types, the output policy
    ("render", "export", "reading"),  # rich; whole-KB exports; what a command reads
    ("listing", "jsondata"),  # records as cells and as JSON
    ("ask", "graph"),  # the core: questions, relations
    ("search",),  # matching, ranking, names
    ("query",),  # filters, profiles, stats
    ("cache",),  # the content key, the cache directory, what is kept
    ("store",),  # the SQLite store of a knowledge base
    ("index", "sqlite_export"),  # search's and ask's indexes; the SQL tables
    ("loading",),  # data files -> validated, cross-checked KnowledgeBase
    ("lexicon", "curation"),  # the words questions are read with; curators' checks
    ("strictyaml",),  # YAML with file:line:column problems
    ("models",),  # records and value types
    ("constraints", "scoring"),
    ("errors", "folding", "paths", "choices"),
    ("printable",),
    ("__init__",),
]


def imports_of(source: str, modules: set[str]) -> list[tuple[str, int]]:
    """The package modules a module's source imports, each with its line, lazy ones too."""
    tree = ast.parse(source)
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module == "softbank_kb":
            names = [alias.name for alias in node.names if alias.name in modules]
            names = names or ["__init__"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("softbank_kb."):
            names = [node.module.split(".")[1]]  # type: ignore[union-attr]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("softbank_kb.")]
        found += [(name, node.lineno) for name in names]
    return found


def upward_imports(sources: dict[str, str]) -> list[str]:
    """Every import of a module of the importer's own layer or one above it."""
    layer = {module: at for at, modules in enumerate(LAYERS) for module in modules}
    wrong = []
    for module, source in sorted(sources.items()):
        for imported, line in imports_of(source, set(sources)):
            if layer[imported] <= layer[module]:
                wrong.append(f"softbank_kb/{module}.py:{line} imports {imported}")
    return wrong


def _sources() -> dict[str, str]:
    return {path.stem: path.read_text("utf-8") for path in PACKAGE.glob("*.py")}


def test_every_module_has_a_layer() -> None:
    placed = [module for modules in LAYERS for module in modules]
    assert sorted(placed) == sorted(_sources()), "place a new module in LAYERS"
    assert len(placed) == len(set(placed))


def test_imports_run_one_way() -> None:
    assert upward_imports(_sources()) == []


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        pytest.param("models", "from softbank_kb.jsondata import to_json\n", id="top-level"),
        pytest.param("query", "def f():\n    from softbank_kb import search\n", id="lazy"),
        pytest.param("search", "def f():\n    import softbank_kb.search\n", id="itself"),
    ],
)
def test_a_planted_upward_import_is_caught(module: str, planted: str) -> None:
    sources = _sources()
    sources[module] += "\n" + planted
    assert any(line.startswith(f"softbank_kb/{module}.py:") for line in upward_imports(sources))


def test_a_typing_only_import_is_not_a_dependency() -> None:
    sources = _sources()
    sources["models"] += "\nif TYPE_CHECKING:\n    from softbank_kb.cli import cli\n"
    assert upward_imports(sources) == upward_imports(_sources())


def test_no_module_docstring_runs_past_eight_lines() -> None:
    for module, source in _sources().items():
        docstring = ast.get_docstring(ast.parse(source)) or ""
        assert len(docstring.splitlines()) <= 8, module
