"""A page of search hits is the one a whole ranking gives, though fewer records are judged."""

from __future__ import annotations

import sys

import pytest

from softbank_kb import search as search_module
from softbank_kb.loading import load_knowledge_base
from softbank_kb.models import KnowledgeBase
from softbank_kb.search import search

from .conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

from make_kb import make_kb

# Words of names found in many records, typos and phrases among them, and words found
# in text alone (where no name fills the page, every record is judged). The last ones
# were found by trying 250 words and pairs of the data with the bound made too low.
QUERIES = [
    "grafcore",
    "graphcore",
    "softbank",
    "SoftBank Group",
    "ampere",
    "nvidia",
    "openai",
    "masayoshi son",
    "son",
    "arm",
    "stargate",
    "puces",
    "chips",
    "investment",
    "data centre",
    "jensen huang nvidia",
    "softbank vision fund",
    "huang renxun",
    # Where a record without the word in a name would rank first were it not judged:
    # the bound on such records is what keeps them (a too-low one fails these).
    "strategic",
    "inference",
    "ai-inference",
    "reading",
    "enterprise",
    "investex",
    "does strategic",
]
LIMITS = [1, 3, 5, 20, 100]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """The bundled knowledge base copied some twelve times: many records share each name."""
    directory = tmp_path_factory.mktemp("copies") / "kb"
    make_kb(2000, directory)
    return load_knowledge_base(directory)


def _page(kb: KnowledgeBase, query: str, limit: int) -> tuple[object, ...]:
    hits = search(kb, query, limit=limit)
    return hits.found, [(h.record.id, h.score, h.tier, h.field, h.text, h.spans) for h in hits]


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("query", QUERIES)
def test_a_page_is_the_whole_rankings_first(
    kb: KnowledgeBase, query: str, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    paged = _page(kb, query, limit)
    monkeypatch.setattr(search_module, "_PRUNE_FACTOR", 10**9)  # every record judged
    assert _page(kb, query, limit) == paged


@pytest.mark.parametrize("query", ["grafcore", "softbank", "nvidia"])
def test_a_page_judges_fewer_records_where_names_fill_it(
    kb: KnowledgeBase, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`grafcore` is a typo (the fuzzy tier), `softbank` an exact name, `nvidia` a word of
    other names too (strategy titles)."""
    judged: list[int] = []
    judge = search_module._judge

    def counted(entry, *args):
        judged.append(entry.position)
        return judge(entry, *args)

    monkeypatch.setattr(search_module, "_judge", counted)
    hits = search(kb, query, limit=5)
    assert len(hits) == 5
    assert 0 < len(judged) < hits.found / 2, (len(judged), hits.found)
