#!/usr/bin/env python3
"""Compare lib/proto/spec/*.spec with Apache Kafka's message definitions.

Our specs are a transcription of protocol facts (field names, types, the versions a
field exists in, nullability, tags, defaults) restricted to the versions this client
speaks (DESIGN.md's table). This script reads Kafka's JSON definitions from a checkout
(clients/src/main/resources/common/message) and

  spec_check.py KAFKA_MESSAGE_DIR            reports every difference (exit 1 if any)
  spec_check.py KAFKA_MESSAGE_DIR --write    rewrites lib/proto/spec/ from the JSON

It is not run by CI (CI has no Kafka checkout); run it when the version table changes.
"""
import json
import os
import re
import sys

# (api key, request/response JSON base name, our spec file, max version we speak)
APIS = [
    (0, "Produce", 9), (1, "Fetch", 17), (2, "ListOffsets", 7), (3, "Metadata", 12),
    (8, "OffsetCommit", 9), (9, "OffsetFetch", 9), (10, "FindCoordinator", 4),
    (11, "JoinGroup", 9), (12, "Heartbeat", 4), (13, "LeaveGroup", 5), (14, "SyncGroup", 5),
    (15, "DescribeGroups", 6), (16, "ListGroups", 5),
    (18, "ApiVersions", 3), (19, "CreateTopics", 7), (20, "DeleteTopics", 6), (22, "InitProducerId", 5), (23, "OffsetForLeaderEpoch", 4),
    (24, "AddPartitionsToTxn", 5), (25, "AddOffsetsToTxn", 4), (26, "EndTxn", 5), (28, "TxnOffsetCommit", 5),
    (32, "DescribeConfigs", 4), (37, "CreatePartitions", 3), (68, "ConsumerGroupHeartbeat", 1),
    (69, "ConsumerGroupDescribe", 1),
]
HEADERS = [("RequestHeader", 2), ("ResponseHeader", 1)]
# Lines where our spec adds `readnull` (a null read where Kafka forbids it): peers that
# send one. librdkafka's mock cluster answers SyncGroup with a null assignment for a
# member the leader gave nothing.
READNULL = {("14_sync_group.spec", "  Assignment bytes 0+")}

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_DIR = os.path.join(HERE, "..", "lib", "proto", "spec")


def load_json(path):
    with open(path) as f:
        text = "\n".join(l for l in f.read().splitlines() if not l.strip().startswith("//"))
    return json.loads(text)


def parse_versions(s, maxv):
    """'3+' -> (3, maxv); '0-4' -> (0, 4); 'none' -> None. Clamped to maxv."""
    if s is None or s == "none":
        return None
    if s.endswith("+"):
        lo, hi = int(s[:-1]), maxv
    elif "-" in s:
        lo, hi = (int(x) for x in s.split("-"))
    else:
        lo = hi = int(s)
    hi = min(hi, maxv)
    if lo > hi:
        return None
    return (lo, hi)


def fmt_versions(r, maxv):
    lo, hi = r
    return "%d+" % lo if hi == maxv else "%d-%d" % (lo, hi)


def field_lines(fields, common, maxv, indent, out):
    for f in fields:
        vr = parse_versions(f.get("versions"), maxv)
        if vr is None:
            continue
        typ = f["type"]
        words = [f["name"], typ, fmt_versions(vr, maxv)]
        nr = parse_versions(f.get("nullableVersions"), maxv)
        if nr is not None:
            words += ["null", fmt_versions(nr, maxv)]
        if "tag" in f:
            words += ["tag", str(f["tag"])]
            tv = parse_versions(f.get("taggedVersions"), maxv)
            if tv != vr:
                raise SystemExit("%s: taggedVersions differ from versions" % f["name"])
        if f.get("flexibleVersions") == "none":
            words += ["noflex"]
        if f.get("ignorable"):
            words += ["ignorable"]
        if "default" in f:
            d = f["default"]
            d = ("true" if d else "false") if isinstance(d, bool) else str(d)
            if d == "":
                d = '""'
            words += ["default", d]
        out.append("  " * indent + " ".join(words))
        sub = f.get("fields")
        base = typ[2:] if typ.startswith("[]") else typ
        if sub is None and base in common:
            sub = common[base]
        if sub is not None:
            field_lines(sub, common, maxv, indent + 1, out)


def spec_for(name, key, maxv, msgdir):
    out = []
    req = load_json(os.path.join(msgdir, name + "Request.json"))
    resp = load_json(os.path.join(msgdir, name + "Response.json"))
    lo, _ = parse_versions(req["validVersions"], maxv)
    flex = parse_versions(req.get("flexibleVersions"), maxv)
    out.append("# %s (API key %d): versions %d-%d. Transcribed from Kafka's %sRequest/Response.json."
               % (name, key, lo, maxv, name))
    out.append("api %d %s %d-%d flexible %s" % (key, name, lo, maxv,
                                                 "none" if flex is None else "%d+" % flex[0]))
    for kind, doc in (("request", req), ("response", resp)):
        out.append(kind)
        common = {c["name"]: c["fields"] for c in doc.get("commonStructs", [])}
        field_lines(doc["fields"], common, maxv, 1, out)
    return "\n".join(out) + "\n"


def header_spec(name, maxv, msgdir):
    doc = load_json(os.path.join(msgdir, name + ".json"))
    flex = parse_versions(doc.get("flexibleVersions"), maxv)
    out = ["# %s: versions 0-%d. Transcribed from Kafka's %s.json." % (name, maxv, name),
           "header %s 0-%d flexible %s" % (name, maxv, "none" if flex is None else "%d+" % flex[0])]
    field_lines(doc["fields"], {}, maxv, 1, out)
    return "\n".join(out) + "\n"


def all_specs(msgdir):
    specs = {}
    for key, name, maxv in APIS:
        specs["%02d_%s.spec" % (key, re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())] = spec_for(name, key, maxv, msgdir)
    for name, maxv in HEADERS:
        specs["hdr_%s.spec" % re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()] = header_spec(name, maxv, msgdir)
    return specs


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    specs = all_specs(sys.argv[1])
    write = "--write" in sys.argv[2:]
    bad = 0
    for fname, text in sorted(specs.items()):
        text = "\n".join(l + " readnull" if (fname, l) in READNULL else l for l in text.split("\n"))
        path = os.path.join(SPEC_DIR, fname)
        if write:
            with open(path, "w") as f:
                f.write(text)
            continue
        try:
            have = open(path).read()
        except OSError:
            have = ""
        if have != text:
            bad += 1
            print("DIFFERS: %s" % fname)
            a, b = have.splitlines(), text.splitlines()
            import difflib
            for l in difflib.unified_diff(a, b, "ours", "kafka", lineterm=""):
                print(l)
    if not write:
        print("%d spec files compared, %d differ" % (len(specs), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
