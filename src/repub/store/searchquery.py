"""The search language of ``repub search`` and ``repub serve``, and its translation for each backend.

A query is words, all of which must be found (in title, byline, authors, credits or body)::

    nato summit              both words
    "summit in denial"       the words in this order
    russia OR china          either (OR in capitals; it binds tighter than the space)
    nato -summit             nato, not summit (also: NOT summit)
    milit*                   words starting with "milit"
    (russia OR china) nato   parentheses group

Case and punctuation do not matter ("Russia-China" is the phrase "russia china"); ``AND`` is
allowed and changes nothing. The text a user types is parsed here into a small tree and never reaches
SQL as written: SQLite gets an FTS5 query in which every word is a quoted string (``fts5``), bound as
a parameter; PostgreSQL gets a ``tsquery`` built by functions whose words are bound parameters
(``tsquery``). A query this grammar cannot read raises ``QuerySyntaxError`` with one line saying what
and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from repub.errors import RepubError


class QuerySyntaxError(RepubError):
    """A search query that cannot be read; ``str()`` says why in one line."""


@dataclass(frozen=True)
class Term:
    text: str  # one word or a phrase, as typed
    prefix: bool = False  # word*


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Term | And | Or | Not

# Tokens: a phrase (closed or not), a parenthesis, a minus before something, or a word.
_TOKEN = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<paren>[()])|(?P<minus>-(?=\S))|(?P<word>[^\s"()]+))')
MAX_LENGTH = 1000  # characters: a query longer than this is a mistake, not a search
# Parentheses inside parentheses: deeper is a mistake too, and the parser (recursive), SQLite's FTS5
# query parser (a fixed stack) and the tree's walkers all have a depth they overflow.
MAX_DEPTH = 20


@dataclass(frozen=True)
class _Token:
    kind: str  # phrase, word, (, ), -, OR, AND, NOT
    text: str
    at: int  # 1-based column, for messages


def _tokens(query: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if match is None or match.end() == pos:  # only spaces left
            break
        at = match.start(match.lastgroup or 0) + 1
        kind, text = match.lastgroup or "", match.group(match.lastgroup or 0)
        if kind == "phrase":
            if len(text) < 2 or not text.endswith('"'):
                raise QuerySyntaxError(f'unclosed quote at column {at}: a phrase needs its closing "')
            out.append(_Token("phrase", text[1:-1], at))
        elif kind == "paren":
            out.append(_Token(text, text, at))
        elif kind == "minus":
            out.append(_Token("-", "-", at))
        elif text in ("OR", "AND", "NOT"):
            out.append(_Token(text, text, at))
        else:
            out.append(_Token("word", text, at))
        pos = match.end()
    return out


def _searchable(text: str) -> bool:
    """Whether a word or phrase holds anything a tokenizer keeps (a letter or a digit)."""
    return any(ch.isalnum() for ch in text)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens, self.i = tokens, 0
        self.depth = 0  # the parentheses open where the parser is

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def sequence(self, closing: _Token | None) -> Node | None:
        """Items up to ``)`` (when ``closing`` is the ``(`` that opened them) or the end: all of them."""
        items: list[Node] = []
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind == "AND":
                self.take()
                continue
            item = self.either()
            if isinstance(item, And):  # a group of words all found: its words, one And for FTS5's NOTs
                items.extend(item.items)
            elif item is not None:
                items.append(item)
        if closing is not None:
            if self.peek() is None:
                raise QuerySyntaxError(f"unclosed parenthesis at column {closing.at}")
            self.take()
        elif (token := self.peek()) is not None:
            raise QuerySyntaxError(f"unmatched ) at column {token.at}")
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items))

    def either(self) -> Node | None:
        first = self.unary()
        items = [first] if first is not None else []
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            following = self.peek()
            if first is None and not items or following is None or following.kind in (")", "OR", "AND"):
                raise QuerySyntaxError(f"OR at column {token.at} needs a word on each side")
            item = self.unary()
            if item is not None:
                items.append(item)
        if len(items) > 1 and not all(_positive(item) for item in items):  # "-a OR b", "(-a -b) OR c"
            raise QuerySyntaxError("an excluded word (-word) cannot be one side of an OR")
        if not items:
            return None
        return items[0] if len(items) == 1 else Or(tuple(items))

    def unary(self) -> Node | None:
        token = self.take()
        if token.kind in ("-", "NOT"):
            following = self.peek()
            if following is None or following.kind in (")", "OR", "AND", "NOT", "-"):
                raise QuerySyntaxError(f"{token.text} at column {token.at} needs a word after it")
            item = self.unary()
            if isinstance(item, Not):  # -(-word): the word (fts5() could only drop one of the two)
                return item.item
            if isinstance(item, And) and all(isinstance(i, Not) for i in item.items):
                return Or(tuple(i.item for i in item.items if isinstance(i, Not)))  # -(-a -b): a OR b
            return None if item is None else Not(item)
        if token.kind == "(":
            if self.depth == MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses nested deeper than {MAX_DEPTH} at column {token.at}")
            self.depth += 1
            group = self.sequence(token)
            self.depth -= 1
            return group
        if token.kind in ("OR", "AND"):
            raise QuerySyntaxError(f"{token.text} at column {token.at} needs a word on each side")
        if token.kind == ")":
            raise QuerySyntaxError(f"unmatched ) at column {token.at}")
        text, prefix = token.text, False
        if token.kind == "word" and text.endswith("*"):
            text, prefix = text.rstrip("*"), True
        if token.kind == "word" and "*" in text:
            raise QuerySyntaxError(f"* at column {token.at} goes at the end of a word (milit*)")
        if not _searchable(text):
            return None  # punctuation alone: nothing any tokenizer indexes
        return Term(" ".join(text.split()), prefix)


def parse(query: str) -> Node | None:
    """The tree of ``query``; None when it holds nothing to search for (empty, or punctuation only)."""
    if len(query) > MAX_LENGTH:
        raise QuerySyntaxError(f"the query is longer than {MAX_LENGTH} characters")
    tree = _Parser(_tokens(query)).sequence(None)
    if tree is not None and not _positive(tree):
        raise QuerySyntaxError("a search needs at least one word that is not excluded (-word)")
    return tree


def _positive(node: Node) -> bool:
    """Whether ``node`` can match on its own (not only exclusions)."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_positive(item) for item in node.items)
    if isinstance(node, Or):
        return all(_positive(item) for item in node.items)
    return True


# -- SQLite FTS5 ---------------------------------------------------------------------------------------


def fts5(node: Node) -> str:
    """An FTS5 query string: every word quoted (FTS5 reads nothing in it as syntax), operators explicit."""
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        return quoted + " *" if node.prefix else quoted
    if isinstance(node, Or):
        return "(" + " OR ".join(fts5(item) for item in node.items) + ")"
    if isinstance(node, Not):  # only inside an And (parse() makes sure)
        return fts5(node.item)
    positive = [fts5(item) for item in node.items if not isinstance(item, Not)]
    negative = [fts5(item) for item in node.items if isinstance(item, Not)]
    text = "(" + " AND ".join(positive) + ")"
    # FTS5's NOT is binary and left-associative: "(a) NOT b NOT c" is "((a) NOT b) NOT c", written flat
    # because FTS5's parser stack holds only so many open parentheses (100 exclusions overflowed it)
    return "(" + " NOT ".join([text, *negative]) + ")" if negative else text


# -- PostgreSQL tsquery ------------------------------------------------------------------------------


CONFIG = "simple"  # no stemming, as FTS5's unicode61 (repub.store.searchindex)
APOSTROPHES = "’‘"  # as repub.store.searchindex.APOSTROPHES (this module is imported without the store)


def tsquery(node: Node) -> sa.ColumnElement[Any]:
    """A ``tsquery`` expression; every word is a bound parameter run through PostgreSQL's own parser,
    its typographic apostrophes made ASCII as the indexed text's are (repub.store.searchindex)."""
    config: sa.ColumnElement[Any] = sa.literal_column(f"'{CONFIG}'::regconfig")
    if isinstance(node, Term):
        word = sa.func.translate(sa.bindparam(None, node.text, sa.Text()), APOSTROPHES, "''")
        if node.prefix:
            return sa.func.to_tsquery(config, sa.func.quote_literal(word).concat(":*"))
        return sa.func.phraseto_tsquery(config, word)
    if isinstance(node, Not):
        return sa.func.tsquery_not(tsquery(node.item))
    combine = sa.func.tsquery_or if isinstance(node, Or) else sa.func.tsquery_and
    return _balanced(combine, [tsquery(item) for item in node.items])


def _balanced(combine: Callable[..., sa.ColumnElement[Any]], parts: list[sa.ColumnElement[Any]]
              ) -> sa.ColumnElement[Any]:
    """``parts`` joined two by two as a balanced tree: SQLAlchemy compiles nested calls recursively, and
    a chain of one call per word (100 words) overflowed Python's recursion."""
    if len(parts) == 1:
        return parts[0]
    middle = len(parts) // 2
    return combine(_balanced(combine, parts[:middle]), _balanced(combine, parts[middle:]))


def terms(node: Node | None) -> list[Term]:
    """The words and phrases searched for (not those excluded): for highlighting."""
    if node is None or isinstance(node, Not):
        return []
    if isinstance(node, Term):
        return [node]
    return [t for item in node.items for t in terms(item)]
