"""RDF Dataset Canonicalization of many documents of one shape, at the cost of one.

Turning JSON-LD into RDF (expansion, then the node map) is most of what ``pyld`` spends on a
credential; canonicalizing the resulting dataset (URDNA2015 / RDFC-1.0) is a small part. Every
credential the college issues has the same *shape*: the same keys, the same types, the same
contexts, only other strings. So the expansion is done once per shape, by ``pyld`` itself, on a
copy of the document whose every string is replaced by a *slot* (a unique absolute IRI,
``urn:x-carepassport-slot:N``); the resulting dataset says where each string lands (an IRI, a
literal with its datatype or language) and later documents of the shape put their strings in
those places. ``pyld``'s own URDNA2015 then canonicalizes the dataset.

Why the result is the one ``pyld`` gives the document itself (and a test compares the two on
generated documents):

* What expansion does with a string depends on the key it is under and the active context, both
  part of the shape, never on the string, with these exceptions, which the shape keeps or
  refuses:

  - values of keywords and of their aliases (``@context``, ``type``): kept verbatim in the
    shape, since they choose the contexts (the pinned contexts alias only ``id`` and ``type``);
  - a string in an IRI position is expanded when it is relative, a compact IRI or a term:
    a slot stands for it only when it is an absolute IRI of a scheme no pinned context defines
    as a term (``http``, ``https``, ``did``, ``urn``, ``data``), which expansion leaves as it
    is; any other string there (a proof's ``assertionMethod``, a relative IRI) is kept
    verbatim in a shape of its own;
  - ``@json`` literals and ``xsd:double`` literals rewrite their string: such shapes are never
    used (every document of that shape goes to ``pyld``), nor one where a slot turns up
    changed or as a type.

* Numbers, booleans and ``null`` are kept verbatim in the shape.
* RDF datasets are sets: equal quads from equal strings (two equal values of a property, two
  nodes with one ``id``, which the node map merges) collapse, as the node map does.

Shapes are kept in a bounded LRU cache, so documents of unbounded variety cost memory no more
than ``MAX_SHAPES`` shapes."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015

SLOT = "urn:x-carepassport-slot:"
MAX_SHAPES = 256
KEPT_KEYS = frozenset({"@context", "type", "@type"})
SAFE_IRI = re.compile(r"(?:https?|did|urn|data):[^\s<>\"{}|\\^`\x00-\x20\x7f]+\Z")
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
RDF_JSON = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PYLD_REFUSALS = (
    jsonld.JsonLdError,
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    RecursionError,
)
"""What ``pyld`` raises on bad input: its own error, and for some inputs a Python error (an
``@id`` such as ``"@A"`` expands to nothing and its graph then fails to sort)."""
NQUADS = {"algorithm": "URDNA2015", "format": "application/n-quads"}

Dataset = dict[str, list[dict[str, dict[str, str]]]]
# A quad part: fixed text, or the index of the slot whose string goes there.
Part = str | int


POSITIONS = ("subject", "predicate", "object")


class _Row:
    """One quad of a shape's dataset: its fixed text, and which of its parts are slots."""

    __slots__ = ("fixed", "layout", "parts", "slots")

    def __init__(self, layout: tuple[tuple[str, ...], ...], parts: list[Part]) -> None:
        self.layout = layout
        self.fixed = tuple(part if isinstance(part, str) else "" for part in parts)
        self.slots = tuple((i, part) for i, part in enumerate(parts) if isinstance(part, int))
        # Each component: a dict shared by every quad made (one without slots that URDNA2015
        # leaves alone: it relabels blank nodes only), or where its values lie.
        self.parts: list[tuple[dict[str, str] | None, tuple[str, ...], int, int]] = []
        at = 0
        for keys in layout:
            end = at + len(keys)
            values = dict(zip(keys, self.fixed[at:end], strict=True))
            fixed = all(isinstance(part, str) for part in parts[at:end])
            shared = values if fixed and values["type"] != "blank node" else None
            self.parts.append((shared, keys, at, end))
            at = end

    def values(self, strings: list[str]) -> tuple[str, ...]:
        if not self.slots:
            return self.fixed
        values = list(self.fixed)
        for position, slot in self.slots:
            values[position] = strings[slot]
        return tuple(values)

    def quad(self, values: tuple[str, ...]) -> dict[str, dict[str, str]]:
        (s, s_keys, s_at, s_end), (p, p_keys, p_at, p_end), (o, o_keys, o_at, o_end) = self.parts
        return {
            "subject": s or dict(zip(s_keys, values[s_at:s_end], strict=False)),
            "predicate": p or dict(zip(p_keys, values[p_at:p_end], strict=False)),
            "object": o or dict(zip(o_keys, values[o_at:o_end], strict=False)),
        }


class _Template:
    """Where each slot of a shape lands in its dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.graphs: list[tuple[Part, list[_Row]]] = []
        self.iri_slots: set[int] = set()
        self.usable = True
        for graph_name, quads in dataset.items():
            graph = self._part(graph_name, iri=graph_name != "@default")
            self.graphs.append((graph, [self._row(quad) for quad in quads]))
            for quad in quads:
                if quad["predicate"]["value"] == RDF_TYPE and _slot(quad["object"]["value"]) >= 0:
                    self.usable = False
                if quad["object"].get("datatype") in (XSD_DOUBLE, RDF_JSON):
                    self.usable = False

    def _part(self, text: str, *, iri: bool) -> Part:
        index = _slot(text)
        if index >= 0:
            if iri:
                self.iri_slots.add(index)
            return index
        if SLOT in text:  # a slot expansion rewrote: the shape cannot stand for the documents
            self.usable = False
        return text

    def _row(self, quad: dict[str, dict[str, str]]) -> _Row:
        layout: list[tuple[str, ...]] = []
        parts: list[Part] = []
        for position in POSITIONS:
            term = quad[position]
            iri = term["type"] != "literal"
            layout.append(tuple(term))
            parts += [self._part(v, iri=iri and k == "value") for k, v in term.items()]
        return _Row(tuple(layout), parts)

    def unsafe(self, strings: list[str]) -> frozenset[int]:
        """The slots in IRI places whose string is not one expansion leaves as it is."""
        return frozenset(i for i in self.iri_slots if not SAFE_IRI.match(strings[i]))

    def fill(self, strings: list[str]) -> Dataset | None:
        """The dataset of the document whose strings are ``strings``, or ``None`` where one of
        them is not a string expansion leaves as it is in its place."""
        if self.unsafe(strings):
            return None
        dataset: Dataset = {}
        for graph, rows in self.graphs:
            name = strings[graph] if isinstance(graph, int) else graph
            seen: set[tuple[object, ...]] = set()
            quads = dataset.setdefault(name, [])
            for row in rows:
                values = row.values(strings)
                if (row.layout, values) not in seen:  # a dataset is a set: equal quads are one
                    seen.add((row.layout, values))
                    quads.append(row.quad(values))
        return dataset


def _slot(text: str) -> int:
    if text.startswith(SLOT):
        tail = text[len(SLOT) :]
        if tail.isdigit():
            return int(tail)
    return -1


def shape_of(document: Any, verbatim: frozenset[int] = frozenset()) -> tuple[Any, list[str]]:
    """``document`` with its strings replaced by slots (but those numbered in ``verbatim``),
    and all its strings in slot order."""
    strings: list[str] = []

    def walk(node: Any, kept: bool) -> Any:
        if isinstance(node, dict):
            return {
                key: walk(node[key], kept or key in KEPT_KEYS or key.startswith("@"))
                for key in sorted(node)
            }
        if isinstance(node, list):
            return [walk(item, kept) for item in node]
        if isinstance(node, str) and not kept:
            strings.append(node)
            index = len(strings) - 1
            return node if index in verbatim else f"{SLOT}{index}"
        return node

    return walk(document, False), strings


class ShapeCanonicalizer:
    """RDFC-1.0 canonical N-Quads of JSON-LD documents, expanding each shape once.

    ``to_rdf(document)`` is the expansion to use (``pyld.jsonld.to_rdf`` with the pinned
    loader); ``fallback(document)`` canonicalizes a document the shapes cannot stand for."""

    def __init__(
        self,
        to_rdf: Callable[[Any], Dataset],
        fallback: Callable[[Any], str],
        max_shapes: int = MAX_SHAPES,
    ) -> None:
        self._to_rdf = to_rdf
        self._fallback = fallback
        self._max = max_shapes
        self._templates: OrderedDict[str, _Template] = OrderedDict()
        self._lock = Lock()
        self.shapes_expanded = 0

    def __call__(self, document: dict[str, Any]) -> str:
        shape, strings = shape_of(document)
        template = self._template(shape)
        if template is not None and template.usable:
            unsafe = template.unsafe(strings)
            if unsafe:
                # Strings expansion would rewrite in their place (a term such as a proof's
                # purpose, a relative IRI): a shape of its own that keeps them as they are.
                shape, _ = shape_of(document, unsafe)
                template = self._template(shape)
        dataset = template.fill(strings) if template is not None and template.usable else None
        if dataset is None:
            return self._fallback(document)
        canonical: str = URDNA2015().main(dataset, dict(NQUADS))
        return canonical

    def _template(self, shape: Any) -> _Template | None:
        key = json.dumps(shape, separators=(",", ":"), ensure_ascii=False)
        with self._lock:
            template = self._templates.get(key)
            if template is not None:
                self._templates.move_to_end(key)
                return template
        try:
            dataset = self._to_rdf(shape)
        except PYLD_REFUSALS:
            return None  # the document itself is refused by the fallback, with its reason
        template = _Template(dataset)
        with self._lock:
            self.shapes_expanded += 1
            self._templates[key] = template
            while len(self._templates) > self._max:
                self._templates.popitem(last=False)
        return template
