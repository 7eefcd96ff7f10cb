#!/usr/bin/env python3
"""Extracts, from a clone of apache/kafka with its history and tags, the request version
ranges each Kafka release serves, and writes them as C (lib/mock/releases.c) for the
mock's version profiles. Only version numbers are taken; each release's entry names the
tag and files they come from.

    scripts/kafka_versions.py [--repo GIT_DIR] [--check] [-o lib/mock/releases.c]

Where the numbers live changed over time:
  0.8.2       core/src/main/scala/kafka/api/<Name>Request.scala: CurrentVersion (the
              broker parsed every version up to it)
  0.9 - 0.11  clients/.../common/protocol/Protocol.java: REQUESTS[ApiKeys.X.id] = X_REQUEST,
              an array of schemas, one per version (null for a version not served)
  1.x         clients/.../common/requests/<Name>Request.java: schemaVersions()
  2.2 on      clients/src/main/resources/common/message/<Name>Request.json: validVersions,
              "listeners" (which processes serve it: zkBroker/broker for a broker), and
              latestVersionUnstable (not advertised by default)
Kafka 4.0 is not in the mirror (it ends in October 2024): its ranges are trunk's at that
point with KIP-896's removals and the versions 4.0 added applied (FOUR_ZERO below).
"""
import argparse
import json
import re
import subprocess
import sys

JAVA = "clients/src/main/java/org/apache/kafka/common"
JSON_DIR = "clients/src/main/resources/common/message"

# The APIs the mock serves or is about to serve (admin, transactions, leader epochs).
KEYS = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
    10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup", 14: "SyncGroup",
    15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics",
    20: "DeleteTopics", 22: "InitProducerId", 23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 28: "TxnOffsetCommit", 32: "DescribeConfigs",
    36: "SaslAuthenticate", 37: "CreatePartitions", 68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe",
}
# Older file names of some requests.
ALIASES = {"ListOffsets": ["ListOffset"], "FindCoordinator": ["GroupCoordinator"],
           "OffsetForLeaderEpoch": ["OffsetsForLeaderEpoch"]}
SCALA_082 = {0: "ProducerRequest", 1: "FetchRequest", 2: "OffsetRequest", 3: "TopicMetadataRequest",
             8: "OffsetCommitRequest", 9: "OffsetFetchRequest", 10: "ConsumerMetadataRequest"}

# (profile name, git ref, how to read it)
RELEASES = [
    ("0.8.2", "0.8.2.2", "scala"),
    ("0.9", "0.9.0.1", "protocol"),
    ("0.10.2", "0.10.2.2", "protocol"),
    ("0.11", "0.11.0.2", "protocol"),
    ("1.1", "1.1.1", "schemas"),
    ("2.4", "2.4.1", "json"),
    ("2.8", "2.8.2", "json"),
    ("3.0", "3.0.2", "json"),
    ("3.7", "3.7.1", "json"),
    ("4.0", "refs/heads/trunk", "json"),
]

# Kafka 4.0 against trunk of October 2024. KIP-896 (baseline Kafka 2.1) removed Produce
# v0-2, Fetch v0-3, ListOffsets v0, OffsetCommit v0-1, OffsetFetch v0, JoinGroup v0-1,
# CreateTopics v0-1, DeleteTopics v0, DescribeConfigs v0, OffsetForLeaderEpoch v0-1; 4.0
# added Produce v12 and Metadata v13 (KIP-890, KIP-1102), DescribeGroups v6 (KIP-1043) and
# made ConsumerGroupHeartbeat v0-1 stable (KIP-848), ConsumerGroupDescribe v0-1 (KIP-848,
# KIP-1099 added v1). Ranges as in DESIGN.md.
FOUR_ZERO = {0: (3, 12), 1: (4, 17), 2: (1, 10), 3: (0, 13), 8: (2, 9), 9: (1, 9), 11: (2, 9),
             15: (0, 6), 19: (2, None), 20: (1, None), 23: (2, None), 32: (1, None), 68: (0, 1),
             69: (0, 1)}


def git(repo, *args):
    return subprocess.run(["git", "--git-dir=" + repo, *args], check=True, capture_output=True,
                          text=True).stdout


def show(repo, ref, path):
    try:
        return git(repo, "show", "%s:%s" % (ref, path))
    except subprocess.CalledProcessError:
        return None


def from_scala(repo, ref):
    out = {}
    for key, cls in SCALA_082.items():
        src = show(repo, ref, "core/src/main/scala/kafka/api/%s.scala" % cls)
        m = re.search(r"val CurrentVersion(?:: Short)? = (\d+)", src or "")
        if m:
            out[key] = (0, int(m.group(1)))
    return out, "core/src/main/scala/kafka/api/{%s}.scala (CurrentVersion)" % ",".join(SCALA_082.values())


def api_ids(repo, ref):
    """ApiKeys.java: enum constant -> id."""
    src = show(repo, ref, JAVA + "/protocol/ApiKeys.java")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s*([A-Z_]+)\((\d+),", src, re.M)}


def from_protocol(repo, ref):
    path = JAVA + "/protocol/Protocol.java"
    src = show(repo, ref, path)
    ids = api_ids(repo, ref)
    arrays = {m.group(1): [s.strip() for s in m.group(2).split(",")]
              for m in re.finditer(r"Schema\[\] (\w+_REQUEST) = (?:new Schema\[\]\s*)?\{([^}]*)\}", src)}
    out = {}
    for m in re.finditer(r"REQUESTS\[ApiKeys\.(\w+)\.id\] = (\w+);", src):
        key = ids.get(m.group(1))
        schemas = arrays.get(m.group(2))
        if key in KEYS and schemas:
            served = [i for i, s in enumerate(schemas) if s != "null"]
            out[key] = (served[0], served[-1])
    return out, path + " (REQUESTS)"


def from_schemas(repo, ref):
    src = show(repo, ref, JAVA + "/protocol/ApiKeys.java")
    out = {}
    for m in re.finditer(r"^\s*[A-Z_]+\((\d+), \"\w+\",[^;]*?(\w+)Request\.schemaVersions\(\)", src, re.M | re.S):
        key = int(m.group(1))
        if key not in KEYS:
            continue
        cls = show(repo, ref, JAVA + "/requests/%sRequest.java" % m.group(2))
        s = re.search(r"schemaVersions\(\)\s*\{\s*return new Schema\[\]\s*\{([^}]*)\}", cls or "")
        if s:
            schemas = [x.strip() for x in s.group(1).split(",")]
            served = [i for i, x in enumerate(schemas) if x != "null"]
            out[key] = (served[0], served[-1])
    return out, JAVA + "/requests/<Name>Request.java (schemaVersions()), protocol/ApiKeys.java"


def from_json(repo, ref):
    out = {}
    for key, name in KEYS.items():
        for n in [name] + ALIASES.get(name, []):
            src = show(repo, ref, "%s/%sRequest.json" % (JSON_DIR, n))
            if src:
                break
        if not src:
            continue
        spec = json.loads(re.sub(r"^\s*//.*$", "", src, flags=re.M))
        listeners = spec.get("listeners")
        if listeners is not None and not {"zkBroker", "broker"} & set(listeners):
            continue  # served by the controller only
        lo, _, hi = spec["validVersions"].partition("-")
        lo, hi = int(lo), int(hi or lo)
        if spec.get("latestVersionUnstable"):
            hi -= 1  # not advertised unless unstable.api.versions.enable
        if hi >= lo:
            out[key] = (lo, hi)
    return out, JSON_DIR + "/<Name>Request.json (validVersions, listeners, latestVersionUnstable)"


def extract(repo):
    table = []
    for name, ref, how in RELEASES:
        ranges, files = {"scala": from_scala, "protocol": from_protocol, "schemas": from_schemas,
                         "json": from_json}[how](repo, ref)
        tag = ref
        if name == "4.0":
            date = git(repo, "log", "-1", "--format=%cs", ref).strip()
            commit = git(repo, "rev-parse", "--short=12", ref).strip()
            tag = "trunk %s (%s) + KIP-896 and the 4.0 additions" % (commit, date)
            for key, (lo, hi) in FOUR_ZERO.items():
                old = ranges.get(key, (lo, hi))
                ranges[key] = (lo, hi if hi is not None else old[1])
        table.append((name, tag, files, dict(sorted(ranges.items()))))
    return table


def render(table):
    lines = [
        "/* Generated by scripts/kafka_versions.py from the apache/kafka git history: do not edit.",
        " * The request versions each Kafka release serves (only the APIs the mock serves or is",
        " * about to); lib/mock/profiles.c clamps them to what the mock implements. */",
        '#include "mock/profiles.h"',
        "",
        "const kmock_release_t kmock__releases[] = {",
    ]
    for name, tag, files, ranges in table:
        lines.append("    /* Kafka %s: %s, %s */" % (name, tag, files))
        lines.append('    {"%s",' % name)
        lines.append("     %d," % len(ranges))
        body = ", ".join("{%d, %d, %d}" % (k, lo, hi) for k, (lo, hi) in ranges.items())
        chunks, cur = [], ""
        for part in body.split(", "):
            if len(cur) + len(part) + 2 > 100:
                chunks.append(cur.rstrip())
                cur = ""
            cur += part + ", "
        chunks.append(cur.rstrip(", "))
        lines.append("     {" + ("\n      ".join(chunks)) + "}},")
    lines.append("};")
    lines.append("const int kmock__nreleases = (int)(sizeof(kmock__releases) / sizeof(kmock__releases[0]));")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/apache+kafka/repo")
    ap.add_argument("-o", "--output", default="lib/mock/releases.c")
    ap.add_argument("--check", action="store_true", help="fail if the output file differs")
    ap.add_argument("--print", action="store_true", help="print the table as text")
    a = ap.parse_args()
    table = extract(a.repo)
    if a.print:
        for name, tag, _, ranges in table:
            print("%-7s %s" % (name, " ".join("%d:%d-%d" % (k, lo, hi) for k, (lo, hi) in ranges.items())))
    text = render(table)
    if a.check:
        with open(a.output) as f:
            if f.read() != text:
                sys.exit("%s differs from what %s extracts" % (a.output, sys.argv[0]))
        return
    with open(a.output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
