"""A small evaluator of the Kusto (KQL) subset that Resource Graph queries of the extension use, so that a wrong
filter or projection gives a wrong answer rather than a canned one.

Supported: ``<table> | where <expr> | extend <name> = <expr>, ... | project <name> [= <expr>], ... | order by
<column> [asc|desc]``. Expressions: ``or``, ``and``, ``not(...)``, comparisons ``== != =~ !~ > >= < <=``, parentheses,
string (single or double quoted), number and ``true``/``false`` literals, dotted property paths (``properties.a.b``)
and the functions ``tobool``, ``tostring``, ``tolower``, ``array_length``, ``isnull``, ``isnotnull``. As in Kusto, a
missing property is null, a comparison with null is false, ``array_length`` of a non-array is null, and ``=~`` compares
strings without case. Anything else is refused with a 400, as Resource Graph refuses a query it cannot parse.
"""
import re

_TOKEN = re.compile(r"\s*(?:(?P<str>'[^']*'|\"[^\"]*\")|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|=~|!~|>=|<=|[><=(),.])"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))")
_FUNCTIONS = {
    "tobool": lambda v: v if isinstance(v, bool) or v is None else
    ({"true": True, "false": False}.get(str(v).lower())),
    "tostring": lambda v: None if v is None else (v if isinstance(v, str) else str(v)),
    "tolower": lambda v: v.lower() if isinstance(v, str) else None,
    "array_length": lambda v: len(v) if isinstance(v, list) else None,
    "isnull": lambda v: v is None,
    "isnotnull": lambda v: v is not None,
}


class QueryError(ValueError):
    pass


def _tokens(text):
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError(f"Query is invalid near '{text[pos:pos + 20]}'.")
        pos = m.end()
        kind = m.lastgroup
        tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    """Recursive descent over one stage's tokens; expressions compile to functions of a row."""

    def __init__(self, tokens):
        self.tokens, self.i = tokens, 0

    def peek(self, value=None):
        if self.i >= len(self.tokens):
            return None
        token = self.tokens[self.i]
        return token if value is None or token[1] == value else None

    def take(self, value=None):
        token = self.peek(value)
        if token is None:
            raise QueryError(f"Query is invalid: expected {value or 'more'} in stage.")
        self.i += 1
        return token

    def done(self):
        return self.i >= len(self.tokens)

    def expression(self):
        left = self.conjunction()
        while self.peek("or"):
            self.take()
            right, prior = self.conjunction(), left
            left = lambda row, a=prior, b=right: bool(a(row)) or bool(b(row))  # noqa: E731
        return left

    def conjunction(self):
        left = self.comparison()
        while self.peek("and"):
            self.take()
            right, prior = self.comparison(), left
            left = lambda row, a=prior, b=right: bool(a(row)) and bool(b(row))  # noqa: E731
        return left

    def comparison(self):
        left = self.value()
        token = self.peek()
        if token and token[0] == "op" and token[1] in ("==", "!=", "=~", "!~", ">", ">=", "<", "<="):
            self.take()
            return _compare(token[1], left, self.value())
        return left

    def value(self):
        kind, text = self.take()
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "str":
            return lambda row, v=text[1:-1]: v
        if kind == "num":
            return lambda row, v=float(text) if "." in text else int(text): v
        if kind != "name":
            raise QueryError(f"Query is invalid near '{text}'.")
        if text in ("true", "false"):
            return lambda row, v=text == "true": v
        if text == "not" and self.peek("("):
            inner = self.value()
            return lambda row: not inner(row)
        if self.peek("("):
            if text not in _FUNCTIONS:
                raise QueryError(f"Function '{text}' is not supported.")
            self.take("(")
            argument = self.expression()
            self.take(")")
            return lambda row, f=_FUNCTIONS[text]: f(argument(row))
        path = [text]
        while self.peek("."):
            self.take()
            path.append(self.take()[1])
        return lambda row: _lookup(row, path)


def _lookup(row, path):
    value = row
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _compare(op, left, right):
    def compare(row):
        a, b = left(row), right(row)
        if a is None or b is None:
            return op in ("!=", "!~") and (a is None) != (b is None)
        if op in ("=~", "!~"):
            same = str(a).lower() == str(b).lower()
            return same if op == "=~" else not same
        try:
            return {"==": a == b, "!=": a != b, ">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
        except TypeError:
            return False
    return compare


def _assignments(parser, allow_bare):
    """``name = expr, name2 = expr2`` (``project`` also takes bare column names)."""
    result = []
    while not parser.done():
        name = parser.take()[1]
        if parser.peek("="):
            parser.take()
            result.append((name, parser.expression()))
        elif allow_bare:
            result.append((name, lambda row, n=name: row.get(n)))
        else:
            raise QueryError(f"Query is invalid: 'extend' needs 'name = expression' ({name}).")
        if parser.peek(","):
            parser.take()
    return result


def _split_stages(text):
    stages, current, quote = [], "", None
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "|":
            stages.append(current)
            current = ""
            continue
        current += char
    return stages + [current]


def run(text, tables):
    """Evaluate ``text`` over ``tables`` (name lower-cased -> list of rows); returns the rows."""
    stages = [s.strip() for s in _split_stages(text)]
    table = stages[0].lower()
    if table not in tables:
        raise QueryError(f"Table '{stages[0]}' is not supported.")
    rows = list(tables[table])
    for stage in stages[1:]:
        keyword, _, rest = stage.partition(" ")
        parser = _Parser(_tokens(rest))
        if keyword == "where":
            predicate = parser.expression()
            if not parser.done():
                raise QueryError(f"Query is invalid near the end of: where {rest}")
            rows = [r for r in rows if predicate(r) is True]
        elif keyword == "extend":
            columns = _assignments(parser, allow_bare=False)
            rows = [dict(r, **{name: f(r) for name, f in columns}) for r in rows]
        elif keyword == "project":
            columns = _assignments(parser, allow_bare=True)
            rows = [{name: f(r) for name, f in columns} for r in rows]
        elif keyword == "order":
            parser.take("by")
            column = parser.take()[1]
            descending = bool(parser.peek("desc"))
            rows.sort(key=lambda r: (r.get(column) is None, str(r.get(column))), reverse=descending)
        else:
            raise QueryError(f"Operator '{keyword}' is not supported.")
    return rows
