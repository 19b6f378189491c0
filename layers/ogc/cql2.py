"""CQL2 text filters (OGC API - Features Part 3) translated to parameterised SQL.

Supported: comparisons (= <> < <= > >=), AND / OR / NOT, [NOT] LIKE (and GDAL's ILIKE),
[NOT] BETWEEN, [NOT] IN, IS [NOT] NULL, CASEI(), TIMESTAMP('…') / DATE('…') literals,
and the spatial predicates S_INTERSECTS, S_DISJOINT, S_CONTAINS, S_WITHIN, S_TOUCHES,
S_CROSSES, S_OVERLAPS, S_EQUALS with BBOX(…) or WKT literals (POINT, POLYGON, …).

Property names are looked up in the layer's schema and reach SQL only as bound JSONB
keys (``layers.ogc.fields``); every literal is a bound parameter. A recursive-descent
parser with a depth limit; errors are ``InvalidInput`` with code ``bad_filter``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import shapely
from shapely.errors import ShapelyError

from layers.errors import InvalidInput
from layers.ogc.fields import GEOMETRY_NAMES, Binds, Schema, kind_of, parse_instant, property_sql

MAX_DEPTH = 40

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op><=|>=|<>|!=|=|<|>|\(|\)|,)
  | (?P<word>[^\W\d][\w.:]*)
""", re.VERBOSE)

_COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_SPATIAL = {"S_INTERSECTS": "ST_Intersects", "S_DISJOINT": "ST_Disjoint",
            "S_CONTAINS": "ST_Contains", "S_WITHIN": "ST_Within", "S_TOUCHES": "ST_Touches",
            "S_CROSSES": "ST_Crosses", "S_OVERLAPS": "ST_Overlaps", "S_EQUALS": "ST_Equals"}
_WKT_TYPES = frozenset({"POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                        "MULTIPOLYGON", "GEOMETRYCOLLECTION"})
_RESERVED = frozenset({"AND", "OR", "NOT", "LIKE", "ILIKE", "BETWEEN", "IN", "IS", "NULL",
                       "TRUE", "FALSE"})


def _error(message: str) -> InvalidInput:
    """``message`` is "vi / en"; the result reads "Bộ lọc CQL2 không hợp lệ: vi / invalid CQL2 filter: en"."""
    vi, _, en = message.partition(" / ")
    return InvalidInput(f"Bộ lọc CQL2 không hợp lệ: {vi} / invalid CQL2 filter: {en or vi}",
                        code="bad_filter", parameter="filter")


@dataclass(frozen=True)
class Token:
    kind: str  # string | quoted | number | op | word | end
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Expr:
    sql: str
    kind: str  # number | string | boolean | timestamp | geometry
    literal: bool = False
    raw: Any = None  # the literal's Python value, to coerce strings compared with times


def tokenize(text: str) -> list[Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(f"ký tự không hiểu ở vị trí {pos} / unexpected character at {pos}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", pos))
    return tokens


class _Parser:
    def __init__(self, text: str, schema: Schema, binds: Binds) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.schema = schema
        self.binds = binds
        self.depth = 0

    # ---- token helpers ------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept_word(self, *words: str) -> bool:
        if self.tok.upper in words:
            self.i += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if self.tok.kind != "op" or self.tok.text != op:
            raise _error(f"thiếu '{op}' ở vị trí {self.tok.pos} / expected '{op}' at {self.tok.pos}")
        self.i += 1

    def is_op(self, op: str) -> bool:
        return self.tok.kind == "op" and self.tok.text == op

    # ---- boolean structure ---------------------------------------------------------
    def parse(self) -> str:
        sql = self.or_expr()
        if self.tok.kind != "end":
            raise _error(f"thừa '{self.tok.text}' ở vị trí {self.tok.pos} / "
                         f"unexpected '{self.tok.text}' at {self.tok.pos}")
        return sql

    def or_expr(self) -> str:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error("lồng quá sâu / nested too deeply")
        parts = [self.and_expr()]
        while self.accept_word("OR"):
            parts.append(self.and_expr())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.accept_word("AND"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def not_expr(self) -> str:
        if self.accept_word("NOT"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _error("lồng quá sâu / nested too deeply")
            inner = self.not_expr()
            self.depth -= 1
            return f"(NOT {inner})"
        return self.primary()

    def primary(self) -> str:
        if self.is_op("("):
            self.take()
            sql = self.or_expr()
            self.expect_op(")")
            return sql
        word = self.tok.upper
        if word in _SPATIAL:
            return self.spatial()
        if word in ("TRUE", "FALSE") and not self._continues_as_predicate():
            self.take()
            return word.lower()
        return self.predicate()

    def _continues_as_predicate(self) -> bool:
        following = self.tokens[self.i + 1]
        return (following.kind == "op" and following.text in _COMPARISONS) or following.upper in (
            "IS", "IN", "NOT", "LIKE", "ILIKE", "BETWEEN")

    # ---- predicates ---------------------------------------------------------------
    def predicate(self) -> str:
        left = self.scalar()
        if self.tok.kind == "op" and self.tok.text in _COMPARISONS:
            op = _COMPARISONS[self.take().text]
            right = self.scalar()
            left, right = self.compatible(left, right)
            return f"({left.sql} {op} {right.sql})"
        if self.accept_word("IS"):
            negate = self.accept_word("NOT")
            if not self.accept_word("NULL"):
                raise _error(f"cần NULL sau IS ở vị trí {self.tok.pos} / expected NULL after IS")
            if left.kind == "geometry":
                raise _error("IS NULL không áp dụng cho hình học / IS NULL on geometry")
            return f"({left.sql} IS {'NOT ' if negate else ''}NULL)"
        negate = self.accept_word("NOT")
        if self.tok.upper in ("LIKE", "ILIKE"):
            op = self.take().upper
            pattern = self.scalar()
            if left.kind != "string" or pattern.kind != "string":
                raise _error("LIKE chỉ dùng cho chuỗi / LIKE needs text on both sides")
            sql = f"({left.sql} {op} {pattern.sql})"
            return f"(NOT {sql})" if negate else sql
        if self.accept_word("BETWEEN"):
            low = self.scalar()
            if not self.accept_word("AND"):
                raise _error("BETWEEN cần AND / BETWEEN needs AND")
            high = self.scalar()
            left_low, low = self.compatible(left, low)
            _, high = self.compatible(left, high)
            sql = f"({left_low.sql} BETWEEN {low.sql} AND {high.sql})"
            return f"(NOT {sql})" if negate else sql
        if self.accept_word("IN"):
            self.expect_op("(")
            items = [self.scalar()]
            while self.is_op(","):
                self.take()
                items.append(self.scalar())
            self.expect_op(")")
            sqls = []
            for item in items:
                left, item = self.compatible(left, item)
                sqls.append(item.sql)
            sql = f"({left.sql} IN ({', '.join(sqls)}))"
            return f"(NOT {sql})" if negate else sql
        if left.kind == "boolean" and not left.literal:
            return left.sql  # a boolean property is a predicate by itself
        raise _error(f"cần phép so sánh ở vị trí {self.tok.pos} / expected a comparison at {self.tok.pos}")

    def compatible(self, left: Expr, right: Expr) -> tuple[Expr, Expr]:
        """Both sides of a comparison in one family; a string literal may stand for a time."""
        if "geometry" in (left.kind, right.kind):
            raise _error("so sánh hình học dùng S_INTERSECTS… / compare geometries with S_INTERSECTS…")
        if left.kind == "timestamp" and right.kind == "string" and right.literal:
            right = self.time_literal(str(right.raw))
        elif right.kind == "timestamp" and left.kind == "string" and left.literal:
            left = self.time_literal(str(left.raw))
        # GDAL writes OGR booleans as 0/1.
        elif left.kind == "boolean" and right.kind == "number" and right.literal and right.raw in (0, 1):
            right = self.bool_literal(bool(right.raw))
        elif right.kind == "boolean" and left.kind == "number" and left.literal and left.raw in (0, 1):
            left = self.bool_literal(bool(left.raw))
        if left.kind != right.kind:
            raise _error(f"kiểu không khớp ({left.kind} và {right.kind}) / type mismatch "
                         f"({left.kind} vs {right.kind})")
        return left, right

    def bool_literal(self, value: bool) -> Expr:
        return Expr(f"CAST({self.binds.add(value)} AS boolean)", "boolean", True, value)

    def time_literal(self, text: str) -> Expr:
        start, _ = parse_instant(text, "filter")
        return Expr(f"CAST({self.binds.add(start)} AS timestamptz)", "timestamp", True, start)

    # ---- scalars ------------------------------------------------------------------
    def scalar(self) -> Expr:
        token = self.tok
        if token.kind == "string":
            self.take()
            value = token.text[1:-1].replace("''", "'")
            return Expr(f"CAST({self.binds.add(value)} AS text)", "string", True, value)
        if token.kind == "number":
            self.take()
            number = Decimal(token.text)
            if not number.is_finite() or abs(number.adjusted()) > 300:
                raise _error("số quá lớn / number out of range")
            return Expr(f"CAST({self.binds.add(number)} AS numeric)", "number", True, number)
        if token.kind == "quoted":
            self.take()
            return self.property(token.text[1:-1].replace('""', '"'))
        if token.kind != "word":
            raise _error(f"cần thuộc tính hoặc giá trị ở vị trí {token.pos} / "
                         f"expected a property or a value at {token.pos}")
        word = token.upper
        if word in ("TRUE", "FALSE"):
            self.take()
            return self.bool_literal(word == "TRUE")
        if word in ("TIMESTAMP", "DATE") and self.tokens[self.i + 1].text == "(":
            self.take()
            self.expect_op("(")
            text = self.take()
            if text.kind != "string":
                raise _error(f"{word}() cần một chuỗi / {word}() needs a quoted string")
            self.expect_op(")")
            raw = text.text[1:-1]
            if word == "DATE":
                try:
                    day = date.fromisoformat(raw)
                except ValueError:
                    raise _error(f"ngày không hợp lệ: {raw} / invalid date: {raw}") from None
                start, _ = parse_instant(day.isoformat(), "filter")
                return Expr(f"CAST({self.binds.add(start)} AS timestamptz)", "timestamp", True, start)
            if len(raw.strip()) <= 11:
                raise _error(f"TIMESTAMP cần cả giờ: {raw} / TIMESTAMP needs a time: {raw}")
            return self.time_literal(raw)
        if word == "CASEI" and self.tokens[self.i + 1].text == "(":
            self.take()
            self.expect_op("(")
            inner = self.scalar()
            self.expect_op(")")
            if inner.kind != "string":
                raise _error("CASEI chỉ dùng cho chuỗi / CASEI needs text")
            return Expr(f"lower({inner.sql})", "string", inner.literal,
                        str(inner.raw).lower() if inner.literal else None)
        if word in _RESERVED:
            raise _error(f"từ khoá không đúng chỗ: {token.text} / misplaced keyword: {token.text}")
        if self.tokens[self.i + 1].text == "(":
            raise _error(f"hàm không được hỗ trợ: {token.text} / unsupported function: {token.text}")
        self.take()
        return self.property(token.text)

    def property(self, name: str) -> Expr:
        if name in GEOMETRY_NAMES and name not in self.schema.fields:
            return Expr("geom", "geometry")
        field = self.schema.fields.get(name)
        if field is None:
            raise InvalidInput(
                f"Không có thuộc tính để lọc: {name} / unknown queryable: {name}",
                code="unknown_queryable", parameter="filter", queryable=name,
                queryables=sorted(self.schema.fields))
        return Expr(property_sql(field, self.schema, self.binds), kind_of(field))

    # ---- spatial ------------------------------------------------------------------
    def spatial(self) -> str:
        function = _SPATIAL[self.take().upper]
        self.expect_op("(")
        first = self.geometry()
        self.expect_op(",")
        second = self.geometry()
        self.expect_op(")")
        return f"{function}({first}, {second})"

    def geometry(self) -> str:
        token = self.tok
        word = token.upper
        if word == "BBOX":
            self.take()
            self.expect_op("(")
            numbers = [self.number()]
            while self.is_op(","):
                self.take()
                numbers.append(self.number())
            self.expect_op(")")
            if len(numbers) == 6:
                numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
            if len(numbers) != 4 or numbers[0] > numbers[2] or numbers[1] > numbers[3]:
                raise _error("BBOX cần minx,miny,maxx,maxy / BBOX needs minx,miny,maxx,maxy")
            args = ", ".join(self.binds.add(n) for n in numbers)
            return f"ST_MakeEnvelope({args}, 4326)"
        if word in _WKT_TYPES:
            return f"ST_GeomFromText({self.binds.add(self.wkt())}, 4326)"
        expr = self.scalar()
        if expr.kind != "geometry":
            raise _error("hàm không gian cần hình học / spatial functions need geometries")
        return expr.sql

    def number(self) -> float:
        token = self.take()
        if token.kind != "number":
            raise _error(f"cần một số ở vị trí {token.pos} / expected a number at {token.pos}")
        return float(token.text)

    def wkt(self) -> str:
        """Re-assemble a WKT literal from its tokens and let GEOS check it."""
        start = self.tok.pos
        parts = [self.take().upper]
        if self.tok.upper in ("Z", "M", "ZM"):
            raise _error("chỉ hỗ trợ hình học 2 chiều / only 2D geometries are supported")
        depth = 0
        while True:
            token = self.take()
            if token.kind == "end":
                raise _error(f"hình học chưa đóng ngoặc từ vị trí {start} / unterminated geometry at {start}")
            if token.kind == "op" and token.text == "(":
                depth += 1
            elif token.kind == "op" and token.text == ")":
                depth -= 1
            elif not (token.kind == "number" or token.text == "," or token.upper in _WKT_TYPES
                      or token.upper == "EMPTY"):
                raise _error(f"hình học không hợp lệ ở vị trí {token.pos} / invalid geometry at {token.pos}")
            parts.append(token.upper or token.text)
            if depth == 0:
                break
        text = " ".join(parts)
        try:
            geometry = shapely.from_wkt(text)
        except (ShapelyError, ValueError):
            raise _error(f"hình học không hợp lệ từ vị trí {start} / invalid geometry at {start}") from None
        if geometry is None or geometry.is_empty:
            raise _error("hình học rỗng / empty geometry")
        return str(geometry.wkt)


def to_sql(text: str, schema: Schema, binds: Binds) -> str:
    """A WHERE-clause fragment for a CQL2 text filter; values are added to ``binds``."""
    return _Parser(text, schema, binds).parse()
