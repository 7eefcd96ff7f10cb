#!/usr/bin/env python3
"""Generate the codec's C structs and field tables from lib/proto/spec/*.spec.

  codegen.py [REPO_ROOT]          writes lib/include/kafka/gen/protocol_msgs.h and
                                  lib/proto/gen/protocol_msgs.c
  codegen.py [REPO_ROOT] --check  exits 1 if the committed files differ from a fresh run

Spec format (one file per API; indentation of two spaces nests a struct's fields):

  api KEY Name MIN-MAX flexible N+|none     an API, then `request` and `response` blocks
  header Name MIN-MAX flexible N+|none      a request/response header
  FieldName TYPE VERSIONS [null VERSIONS] [tag N] [noflex] [ignorable] [readnull] [default VALUE]

TYPE is int8 int16 int32 int64 uint16 float64 bool uuid string bytes records, []TYPE
for arrays, or a struct name (its fields follow, indented); a nullable struct becomes a
pointer member (NULL for null). VERSIONS is N+ or N-M.
`tag N` marks a tagged field (flexible versions only); `noflex` keeps the classic
encoding even in flexible versions (RequestHeader.ClientId); `ignorable` lets an encoder
drop a non-default value at a version that lacks the field (otherwise that is an error);
`readnull` lets the decoder take a null in a field Kafka declares non-nullable (as len -1):
a peer's quirk we accept; the encoder writes such a null back (decode and re-encode stay
a round trip) but our own code never sets one.
"""
import os
import re
import sys

PRIMS = {
    "bool": ("bool", "KAFKA__T_BOOL"),
    "int8": ("int8_t", "KAFKA__T_INT8"),
    "int16": ("int16_t", "KAFKA__T_INT16"),
    "int32": ("int32_t", "KAFKA__T_INT32"),
    "int64": ("int64_t", "KAFKA__T_INT64"),
    "uint16": ("uint16_t", "KAFKA__T_UINT16"),
    "float64": ("double", "KAFKA__T_FLOAT64"),
    "uuid": ("kafka_uuid_t", "KAFKA__T_UUID"),
    "string": ("kafka_str_t", "KAFKA__T_STRING"),
    "bytes": ("kafka_bytes_t", "KAFKA__T_BYTES"),
    "records": ("kafka_bytes_t", "KAFKA__T_RECORDS"),
}


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return s.lower()


class Field:
    def __init__(self, words, depth, lineno):
        self.name, self.type, vers = words[0], words[1], words[2]
        self.depth, self.lineno = depth, lineno
        self.vmin, self.vmax = parse_versions(vers)
        self.nmin, self.nmax = 127, -1
        self.tag, self.noflex, self.default, self.ignorable, self.readnull = -1, False, None, False, False
        self.children = []
        i = 3
        while i < len(words):
            w = words[i]
            if w == "null":
                self.nmin, self.nmax = parse_versions(words[i + 1]); i += 2
            elif w == "tag":
                self.tag = int(words[i + 1]); i += 2
            elif w == "noflex":
                self.noflex = True; i += 1
            elif w == "ignorable":
                self.ignorable = True; i += 1
            elif w == "readnull":
                self.readnull = True; i += 1
            elif w == "default":
                self.default = words[i + 1]; i += 2
            else:
                raise SystemExit("line %d: unknown word %r" % (lineno, w))

    @property
    def elem(self):
        return self.type[2:] if self.type.startswith("[]") else None


def parse_versions(s):
    if s.endswith("+"):
        return int(s[:-1]), 127
    lo, hi = s.split("-")
    return int(lo), int(hi)


class Block:
    """A request, response or header: a list of top-level fields."""
    def __init__(self, kind):
        self.kind, self.fields = kind, []


class Api:
    def __init__(self, words, is_header):
        self.is_header = is_header
        if is_header:
            self.key, self.name, vr = -1, words[1], words[2]
        else:
            self.key, self.name, vr = int(words[1]), words[2], words[3]
        self.vmin, self.vmax = parse_versions(vr)
        flex = words[-1]
        self.flexmin = 127 if flex == "none" else int(flex[:-1])
        self.blocks = []


def parse_spec(path):
    apis = []
    cur_api = None
    stack = []
    for lineno, raw in enumerate(open(path), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        words = line.split()
        if depth == 0:
            if words[0] in ("api", "header"):
                cur_api = Api(words, words[0] == "header")
                apis.append(cur_api)
                if cur_api.is_header:
                    cur_api.blocks.append(Block("header"))
                    stack = [cur_api.blocks[-1].fields]
            elif words[0] in ("request", "response"):
                cur_api.blocks.append(Block(words[0]))
                stack = [cur_api.blocks[-1].fields]
            else:
                raise SystemExit("%s:%d: unexpected %r" % (path, lineno, line))
            continue
        f = Field(words, depth, lineno)
        del stack[depth:]
        stack[depth - 1].append(f)
        stack.append(f.children)
    return apis


class Gen:
    def __init__(self):
        self.h, self.c = [], []
        self.union_req, self.union_resp = [], []
        self.api_rows = []

    def struct_names(self, api, block, fields, tname, out_structs):
        """Collect (ctype, schema var, Kafka name, fields) for every struct, children first."""
        for f in fields:
            if f.children:
                base = f.elem or f.type
                short = base
                for pre in (api.name + block.kind.capitalize(), api.name):
                    if short.startswith(pre) and len(short) > len(pre) and short[len(pre)].isupper():
                        short = short[len(pre):]
                        break
                ctype = "%s_%s" % (tname, snake(short))
                f.ctype = ctype + "_t"
                f.schema = "s_" + ctype[len("kafka_"):]
                self.struct_names(api, block, f.children, tname, out_structs)
                out_structs.append((ctype, f.schema, base, f.children))

    def member(self, f):
        if f.children:
            if f.elem:
                return "struct { %s *items; int32_t count; } %s;" % (f.ctype, snake(f.name))
            if f.nmin <= f.nmax:
                return "%s *%s; /* NULL: null */" % (f.ctype, snake(f.name))
            return "%s %s;" % (f.ctype, snake(f.name))
        if f.elem:
            return "struct { %s *items; int32_t count; } %s;" % (PRIMS[f.elem][0], snake(f.name))
        return "%s %s;" % (PRIMS[f.type][0], snake(f.name))

    def emit_struct(self, ctype, schema, kname, fields):
        self.h.append("typedef struct %s_s {" % ctype)
        for f in fields:
            self.h.append("    " + self.member(f))
        if not fields:
            self.h.append("    char unused_; /* no fields in any version */")
        self.h.append("} %s_t;" % ctype)
        self.h.append("")
        rows = []
        ordered = [f for f in fields if f.tag < 0] + sorted([f for f in fields if f.tag >= 0], key=lambda f: f.tag)
        for f in ordered:
            if f.children:
                typ = "KAFKA__T_ARRAY" if f.elem else "KAFKA__T_NSTRUCT" if f.nmin <= f.nmax else "KAFKA__T_STRUCT"
                elem = "KAFKA__T_STRUCT" if f.elem else "0"
                sub = "&" + f.schema
            elif f.elem:
                typ, elem, sub = "KAFKA__T_ARRAY", PRIMS[f.elem][1], "NULL"
            else:
                typ, elem, sub = PRIMS[f.type][1], "0", "NULL"
            dflt, dnull = 0, 0
            d = f.default
            if d is not None:
                if d == "null":
                    dnull = 1
                elif d in ("true", "false"):
                    dflt = 1 if d == "true" else 0
                elif d == '""':
                    pass
                else:
                    dflt = int(d, 0)
            rows.append('    {"%s", %s, %s, %d, %d, %d, %d, %d, %d, %d, %d, %d, offsetof(%s_t, %s), INT64_C(%d), %s},'
                        % (f.name, typ, elem, int(f.noflex), int(f.ignorable), dnull, int(f.readnull), f.vmin, f.vmax,
                           f.nmin, f.nmax, f.tag,
                           ctype, snake(f.name), dflt, sub))
        fvar = "f_" + ctype[len("kafka_"):]
        if rows:
            self.c.append("static const kafka__field_t %s[] = {" % fvar)
            self.c.extend(rows)
            self.c.append("};")
            fref = fvar
        else:
            fref = "NULL"
        self.c.append('static const kafka__schema_t %s = {"%s", sizeof(%s_t), %d, %s};'
                      % (schema, kname, ctype, len(rows), fref))
        self.c.append("")

    def emit_api(self, api):
        for block in api.blocks:
            if api.is_header:
                tname = "kafka_" + snake(api.name)
                kname = api.name
            else:
                tname = "kafka_%s_%s" % (snake(api.name), block.kind)
                kname = api.name + block.kind.capitalize()
            structs = []
            self.struct_names(api, block, block.fields, tname, structs)
            seen = set()
            for s in structs:
                # A common struct used by two fields (AddPartitionsToTxnTopic) is emitted once.
                if s[0] not in seen:
                    seen.add(s[0])
                    self.emit_struct(*s)
            top_schema = "s_" + tname[len("kafka_"):]
            self.emit_struct(tname, top_schema, kname, block.fields)
            if not api.is_header:
                u = self.union_req if block.kind == "request" else self.union_resp
                u.append("    %s_t %s;" % (tname, snake(api.name)))
                block.schema = top_schema
        if api.is_header:
            self.c.append("const kafka__schema_t *const kafka__schema_%s = &s_%s;" % (snake(api.name), snake(api.name)))
            self.c.append("")
        else:
            req = next(b for b in api.blocks if b.kind == "request")
            resp = next(b for b in api.blocks if b.kind == "response")
            self.api_rows.append('    {%d, "%s", %d, %d, %d, &%s, &%s},'
                                 % (api.key, api.name, api.vmin, api.vmax, api.flexmin, req.schema, resp.schema))


def generate(root):
    spec_dir = os.path.join(root, "lib", "proto", "spec")
    files = sorted(f for f in os.listdir(spec_dir) if f.endswith(".spec"))
    g = Gen()
    apis = []
    for fname in files:
        apis.extend(parse_spec(os.path.join(spec_dir, fname)))
    headers = [a for a in apis if a.is_header]
    real = sorted([a for a in apis if not a.is_header], key=lambda a: a.key)
    for a in headers + real:
        g.emit_api(a)
    banner = "/* Generated by scripts/codegen.py from the specs in lib/proto/spec: do not edit. */"
    h = [banner, "#ifndef KAFKA_GEN_PROTOCOL_MSGS_H", "#define KAFKA_GEN_PROTOCOL_MSGS_H", "",
         "/* Included by kafka/protocol.h, which defines kafka_str_t, kafka_bytes_t, kafka_uuid_t. */", "",
         "/* API keys this library speaks, and the highest version of each it implements. */",
         "enum kafka_api_key_e {"]
    for a in real:
        h.append("    KAFKA_API_%s = %d," % (snake(a.name).upper(), a.key))
    h.append("};")
    h.append("enum kafka_api_max_version_e {")
    for a in real:
        h.append("    KAFKA_API_%s_MAX_VERSION = %d," % (snake(a.name).upper(), a.vmax))
    h.append("};")
    h.append("#define KAFKA_API_COUNT %d" % len(real))
    h.append("")
    h.extend(g.h)
    h.append("/* Any request or response body; the API key says which member is in use. */")
    h.append("typedef union kafka_request_u {")
    h.extend(g.union_req)
    h.append("} kafka_request_u;")
    h.append("typedef union kafka_response_u {")
    h.extend(g.union_resp)
    h.append("} kafka_response_u;")
    h.append("")
    h.append("#endif")
    c = [banner, "#include <stddef.h>", "#include <stdint.h>", "", '#include "kafka/protocol.h"',
         '#include "proto/schema.h"', ""]
    c.extend(g.c)
    c.append("const kafka__api_t kafka__apis[KAFKA_API_COUNT] = {")
    c.extend(g.api_rows)
    c.append("};")
    return "\n".join(h) + "\n", "\n".join(c) + "\n"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    h, c = generate(root)
    outs = {os.path.join(root, "lib", "include", "kafka", "gen", "protocol_msgs.h"): h,
            os.path.join(root, "lib", "proto", "gen", "protocol_msgs.c"): c}
    if "--check" in sys.argv:
        bad = [p for p, text in outs.items() if not os.path.exists(p) or open(p).read() != text]
        for p in bad:
            print("codegen: %s is stale; run scripts/codegen.py" % os.path.relpath(p, root))
        return 1 if bad else 0
    for p, text in outs.items():
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
