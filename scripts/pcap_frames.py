#!/usr/bin/env python3
"""Cut a loopback capture of Kafka traffic into golden frame fixtures.

  pcap_frames.py --pcap FILE --port P [--port P...] --records RECORDS.TXT --out DIR

Used by scripts/capture-fixtures.sh. Two independent readings of one capture:

1. Ours, pure Python: the classic pcap file (Ethernet, Linux cooked v1/v2 or raw IPv4)
   is parsed here, each TCP connection to a broker port is reassembled per direction
   by sequence number, and each direction is split into frames by the 4-byte size
   prefix. A request frame gives api key, version and correlation id; a response gives
   its correlation id and is paired with the request of the same connection.
2. tshark's Kafka dissector (`tshark -T pdml -d tcp.port==P,kafka`): for every frame
   it reports api key, version and correlation id, which must agree with (1), plus the
   topic names, partition ids, error codes, offsets... recorded in the manifest, and the
   records inside Produce requests / Fetch responses, checked against RECORDS.TXT.

A small set is kept: one pair per (api, version), two when a later one is larger (an
all-topics Metadata, a multi-partition ListOffsets), every Produce pair, and Fetch pairs
until each topic's batch has been seen in a Fetch response, plus one without records.
Writes DIR/NNN_<Api>_v<ver>_<request|response>.bin (the frame with its size prefix)
and DIR/manifest.txt (columns documented at its top). Exits 1 if tshark disagrees with
our reading of a kept frame's key/version/correlation id/length, or if a record that
tshark decoded differs from RECORDS.TXT.
"""
import argparse
import calendar
import os
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 17: "SaslHandshake", 18: "ApiVersions",
    19: "CreateTopics", 22: "InitProducerId", 36: "SaslAuthenticate",
}

# tshark fields left out of the manifest: the header (compared separately), frame
# cross-references, computed ratios, and record contents (checked against records.txt).
SKIP_FIELDS = {
    "len", "request_key", "response_key", "api_key", "api_version", "request.version",
    "response.version", "correlation_id", "request_frame", "response_frame",
    "message_compression_reduction", "record_attributes", "message_timestamp",
    "message_key", "message_value", "header_key", "header_value",
}
# FT_ABSOLUTE_TIME fields whose display tshark 4.0 gets wrong: the raw int64 is kept.
RAW_INT_FIELDS = {"batch_first_timestamp", "batch_last_timestamp"}

MANIFEST_HEAD = """\
# manifest.txt: one line per frame file in this directory, in capture order.
# Written by scripts/pcap_frames.py (via scripts/capture-fixtures.sh); see README.md.
# Columns, separated by single spaces:
#   1 file             NNN_<Api>_v<version>_<request|response>.bin (size prefix included)
#   2 api_key          from the request frame (a response takes its request's)
#   3 api_version      idem
#   4 direction        request | response
#   5 correlation_id
#   6 bytes            file size = 4 + the frame's size prefix
#   7 tshark_api_key   what tshark's Kafka dissector (Wireshark 4.0) says, independently
#   8 tshark_version   (for a response tshark, like us, takes its request's)
#   9 tshark_corr_id
#  10 tshark_status    ok | warn:<expert info> (e.g. an API version tshark cannot dissect)
#  11... tshark fields, each `name=v1,v2,...` with the values in dissection order:
#      name is the tshark field without `kafka.`; `batch:` marks a field inside a
#      RecordBatch (batch:offset is the batch's base offset, offset outside it is the
#      Produce/ListOffsets/commit offset or the Fetch high watermark); strings are
#      %-escaped (space, comma, %, non-printables); records=N counts the records tshark
#      decoded and record_check=ok says every one (topic, offset, timestamp, key,
#      value, headers) equals records.txt.
"""


# ---------------------------------------------------------------- pcap + TCP

def read_pcap(path):
    """Yields (index, ts, ip_packet_bytes) for every IPv4 packet of a classic pcap."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit("pcap_frames: %s is not a classic pcap file (capture with -F pcap)" % path)
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    pos, idx = 24, 0
    while pos + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(end + "IIII", data[pos:pos + 16])
        pkt = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        idx += 1
        if linktype == 1:  # Ethernet
            off, etype = 14, struct.unpack(">H", pkt[12:14])[0]
            while etype == 0x8100:
                etype = struct.unpack(">H", pkt[off + 2:off + 4])[0]
                off += 4
        elif linktype == 113:  # Linux cooked v1
            off, etype = 16, struct.unpack(">H", pkt[14:16])[0]
        elif linktype == 276:  # Linux cooked v2
            off, etype = 20, struct.unpack(">H", pkt[0:2])[0]
        elif linktype in (101, 228):  # raw IP
            off, etype = 0, 0x0800
        else:
            sys.exit("pcap_frames: unsupported link type %d" % linktype)
        if etype == 0x0800:
            yield idx, sec + frac / 1e6, pkt[off:]


class Direction:
    def __init__(self):
        self.isn = None
        self.segments = []  # (seq, packet index, payload)

    def stream(self):
        """Returns (bytes, [(stream offset, packet index)]) in sequence order."""
        if self.isn is None and self.segments:
            self.isn = min(s for s, _, _ in self.segments) - 1
        buf = bytearray()
        starts = []
        for seq, idx, payload in sorted(self.segments, key=lambda s: (s[0] - self.isn - 1) & 0xFFFFFFFF):
            off = (seq - self.isn - 1) & 0xFFFFFFFF
            if off > len(buf):
                sys.exit("pcap_frames: gap in a TCP stream (packets lost by the capture)")
            if off + len(payload) > len(buf):  # skips retransmitted bytes
                starts.append((max(off, len(buf)), idx))
                buf += payload[len(buf) - off:]
        return bytes(buf), starts


class Conn:
    def __init__(self, num, client_port, server_port):
        self.num = num
        self.client_port = client_port
        self.server_port = server_port
        self.dirs = {"request": Direction(), "response": Direction()}


def tcp_connections(path, ports):
    conns, live = [], {}
    for idx, _ts, ip in read_pcap(path):
        if ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        src, dst = ip[12:16], ip[16:20]
        if src != b"\x7f\0\0\1" or dst != b"\x7f\0\0\1":
            sys.exit("pcap_frames: a packet not between 127.0.0.1 and 127.0.0.1")
        tcp = ip[ihl:total]
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        flags = tcp[13]
        payload = tcp[(tcp[12] >> 4) * 4:]
        if dport in ports:
            key, d = (sport, dport), "request"
        elif sport in ports:
            key, d = (dport, sport), "response"
        else:
            continue
        syn = flags & 0x02
        if syn and not flags & 0x10 and key in live:  # a new connection, same ports
            del live[key]
        if key not in live:
            live[key] = Conn(len(conns), key[0], key[1])
            conns.append(live[key])
        dr = live[key].dirs[d]
        if syn:
            dr.isn = seq
        if payload:
            dr.segments.append((seq, idx, payload))
    return conns


def split_frames(conn, direction):
    data, starts = conn.dirs[direction].stream()
    frames, pos = [], 0
    while pos + 4 <= len(data):
        size = struct.unpack(">i", data[pos:pos + 4])[0]
        if size < 4 or pos + 4 + size > len(data):
            break
        first = max(i for o, i in starts if o <= pos)
        last = max(i for o, i in starts if o < pos + 4 + size)
        frames.append((data[pos:pos + 4 + size], first, last))
        pos += 4 + size
    if pos != len(data):
        print("pcap_frames: connection %d %s: %d trailing bytes (cut by the end of capture)"
              % (conn.num, direction, len(data) - pos), file=sys.stderr)
    return frames


class Frame:
    def __init__(self, conn, direction, raw, first_pkt, last_pkt):
        self.conn, self.direction, self.raw = conn, direction, raw
        self.first_pkt, self.last_pkt = first_pkt, last_pkt
        if direction == "request":
            self.api_key, self.api_version, self.corr = struct.unpack(">hhi", raw[4:12])
        else:
            self.corr = struct.unpack(">i", raw[4:8])[0]
            self.api_key = self.api_version = None
        self.peer = None
        self.ts = None  # tshark's view: dict


def frames_of(conns):
    pairs = []
    for conn in conns:
        reqs = [Frame(conn, "request", *f) for f in split_frames(conn, "request")]
        resps = [Frame(conn, "response", *f) for f in split_frames(conn, "response")]
        by_corr = {}
        for r in reqs:
            if r.corr in by_corr:
                sys.exit("pcap_frames: correlation id %d reused on one connection" % r.corr)
            by_corr[r.corr] = r
        for s in resps:
            r = by_corr.get(s.corr)
            if r is None or r.peer is not None:
                sys.exit("pcap_frames: response with correlation id %d has no request" % s.corr)
            r.peer, s.peer = s, r
            s.api_key, s.api_version = r.api_key, r.api_version
        pairs += [(r, r.peer) for r in reqs]
    pairs.sort(key=lambda p: p[0].first_pkt)
    return pairs


# ---------------------------------------------------------------- tshark

def pct(s):
    out = []
    for ch in s:
        if ch in " ,%" or not (0x21 <= ord(ch) < 0x7F):
            out.extend("%%%02X" % b for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def parse_ts(show):
    # "Nov 14, 2023 22:13:20.004000000 UTC"
    if not show.endswith(" UTC"):
        return None
    main, frac = show[:-4].rsplit(".", 1)
    secs = calendar.timegm(time.strptime(main, "%b %d, %Y %H:%M:%S"))
    return secs * 1000 + int(frac[:3])


def bytes_of(el):
    showname = el.get("showname", "")
    if "<NULL>" in showname:
        return None
    if "<EMPTY>" in showname:
        return b""
    value = el.get("value", "")
    b = bytes.fromhex(value)
    if len(b) != int(el.get("size", "-1")):
        return "?"
    return b


class PduView:
    """tshark's reading of one Kafka PDU (a <proto name="kafka"> element)."""

    def __init__(self, proto):
        self.fields = []   # (name, value) in dissection order
        self.header = {}
        self.experts = []
        self.records = []  # dicts: topic, offset, ts, key, value, headers
        self._topic = None
        self._walk(proto, in_batch=False, record=None)

    def _walk(self, el, in_batch, record):
        for child in el:
            name = child.get("name", "")
            showname = child.get("showname", "") or child.get("show", "")
            if child.tag == "field" and name == "" and showname == "Record Batch":
                self._walk(child, True, None)
                continue
            if child.tag == "field" and name == "" and showname == "Record":
                rec = {"topic": self._topic, "headers": []}
                self.records.append(rec)
                self._walk(child, in_batch, rec)
                continue
            if name == "_ws.expert":
                msg = child.get("showname", "")
                self.experts.append(msg.split(": ", 1)[-1])
                continue
            if name.startswith("kafka."):
                short = name[len("kafka."):]
                if record is not None:
                    if short == "offset":
                        record["offset"] = int(child.get("show"))
                    elif short == "message_timestamp":
                        record["ts"] = parse_ts(child.get("show", ""))
                    elif short == "message_key":
                        record["key"] = bytes_of(child)
                    elif short == "message_value":
                        record["value"] = bytes_of(child)
                    elif short == "header_key":
                        record["headers"].append([child.get("show"), None])
                    elif short == "header_value":
                        record["headers"][-1][1] = bytes_of(child)
                else:
                    if short == "topic_name":
                        self._topic = child.get("show")
                    if short in ("request_key", "response_key", "correlation_id",
                                 "request.version", "response.version", "len"):
                        self.header.setdefault(short, int(child.get("show")))
                    if short not in SKIP_FIELDS:
                        self.fields.append(((in_batch and "batch:" or "") + short,
                                            self._value(short, child)))
            self._walk(child, in_batch, record)

    @staticmethod
    def _value(short, el):
        if short in RAW_INT_FIELDS:
            return str(struct.unpack(">q", bytes.fromhex(el.get("value")))[0])
        show = el.get("show", "")
        if el.get("value") is not None and show.count(":") and all(
                len(p) == 2 for p in show.split(":")):
            return el.get("value")  # bytes: hex
        return pct(show)


def tshark_views(pcap, ports):
    cmd = ["tshark", "-r", pcap, "-T", "pdml"]
    for p in ports:
        cmd += ["-d", "tcp.port==%d,kafka" % p]
    xml = subprocess.run(cmd, check=True, capture_output=True).stdout
    views = {}  # (client port, direction, correlation id) -> [PduView]
    for packet in ET.fromstring(xml).iter("packet"):
        sport = dport = None
        for proto in packet.iter("proto"):
            if proto.get("name") == "tcp":
                for f in proto.iter("field"):
                    if f.get("name") == "tcp.srcport":
                        sport = int(f.get("show"))
                    elif f.get("name") == "tcp.dstport":
                        dport = int(f.get("show"))
            elif proto.get("name") == "kafka":
                v = PduView(proto)
                if dport in ports:
                    key = (sport, "request", v.header.get("correlation_id"))
                else:
                    key = (dport, "response", v.header.get("correlation_id"))
                views.setdefault(key, []).append(v)
    return views


# ---------------------------------------------------------------- records check

def read_records(path):
    want = {}
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        codec, topic, part, off, ts, key, value, headers = line.rstrip("\n").split("\t")
        dec = lambda s: None if s == "-" else bytes.fromhex(s[2:])
        hdrs = headers.split(";")
        want[(topic, int(off))] = {
            "ts": int(ts), "key": dec(key), "value": dec(value),
            "headers": [[h.split("=", 1)[0], dec(h.split("=", 1)[1])] for h in hdrs[1:]],
        }
    return want


def check_records(view, want):
    for rec in view.records:
        w = want.get((rec.get("topic"), rec.get("offset")))
        if w is None:
            return "unknown-record"
        for k in ("ts", "key", "value", "headers"):
            if rec.get(k) != w[k]:
                return "differs:%s:%s@%s" % (k, rec.get("topic"), rec.get("offset"))
    return "ok"


# ---------------------------------------------------------------- selection

def select(pairs, views):
    """Every Produce pair that brings a new topic; Fetch pairs until every topic's
    batch was seen in a response, plus the first response without records; for any
    other (api, version) its first pair and its largest-response pair."""
    pairs = [p for p in pairs if p[1] is not None]
    first, largest = {}, {}
    for p in pairs:
        k = (p[0].api_key, p[0].api_version)
        first.setdefault(k, p)
        if k not in largest or len(p[1].raw) > len(largest[k][1].raw):
            largest[k] = p

    def topics_with_records(frame):
        return {r["topic"] for v in views.get(view_key(frame), []) for r in v.records}

    kept = []
    produce_topics, fetch_topics, fetch_empty = set(), set(), False
    for p in pairs:
        req, resp = p
        if req.api_key == 0:
            t = topics_with_records(req)
            if t - produce_topics:
                produce_topics |= t
                kept.append(p)
        elif req.api_key == 1:
            t = topics_with_records(resp)
            if t - fetch_topics or (not t and not fetch_empty):
                fetch_topics |= t
                fetch_empty = fetch_empty or not t
                kept.append(p)
        elif p is first[(req.api_key, req.api_version)] or \
                p is largest[(req.api_key, req.api_version)]:
            kept.append(p)
    return kept


def view_key(f):
    return (f.conn.client_port, f.direction, f.corr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--port", type=int, action="append", required=True)
    ap.add_argument("--records", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    ports = set(args.port)

    pairs = frames_of(tcp_connections(args.pcap, ports))
    views = tshark_views(args.pcap, ports)
    want = read_records(args.records)
    kept = select(pairs, views)

    lines, errors, n = [MANIFEST_HEAD], 0, 0
    for pair in kept:
        for f in pair:
            n += 1
            name = "%03d_%s_v%d_%s.bin" % (n, API_NAMES.get(f.api_key, "Api%d" % f.api_key),
                                           f.api_version, f.direction)
            with open(os.path.join(args.out, name), "wb") as out:
                out.write(f.raw)
            vs = views.get(view_key(f), [])
            if len(vs) != 1:
                errors += 1
                print("pcap_frames: %s: tshark saw %d PDUs for it" % (name, len(vs)),
                      file=sys.stderr)
                lines.append("%s %d %d %s %d %d - - - undissected\n" % (
                    name, f.api_key, f.api_version, f.direction, f.corr, len(f.raw)))
                continue
            v = vs[0]
            h = v.header
            t_key = h.get("request_key", h.get("response_key"))
            t_ver = h.get("request.version", h.get("response.version"))
            if (t_key, t_ver, h.get("correlation_id"), h.get("len")) != (
                    f.api_key, f.api_version, f.corr, len(f.raw) - 4):
                errors += 1
                print("pcap_frames: %s: tshark disagrees: %r" % (name, h), file=sys.stderr)
            status = "ok" if not v.experts else "warn:" + pct("; ".join(sorted(set(v.experts))))
            cols = [name, str(f.api_key), str(f.api_version), f.direction, str(f.corr),
                    str(len(f.raw)), str(t_key), str(t_ver), str(h.get("correlation_id")),
                    status]
            grouped = {}
            for fname, val in v.fields:
                grouped.setdefault(fname, []).append(val)
            cols += ["%s=%s" % (k, ",".join(vals)) for k, vals in grouped.items()]
            if v.records:
                check = check_records(v, want)
                if check != "ok":
                    errors += 1
                    print("pcap_frames: %s: record check: %s" % (name, check), file=sys.stderr)
                cols += ["records=%d" % len(v.records), "record_check=" + check]
            lines.append(" ".join(cols) + "\n")

    produced = sum(len(v.records) for req, _ in kept if req.api_key == 0
                   for v in views.get(view_key(req), []))
    if produced != len(want):
        errors += 1
        print("pcap_frames: kept Produce requests carry %d records, records.txt has %d"
              % (produced, len(want)), file=sys.stderr)

    with open(os.path.join(args.out, "manifest.txt"), "w") as out:
        out.writelines(lines)
    total = len(pairs)
    print("pcap_frames: %d request/response pairs on the wire, kept %d frames"
          % (total, n), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
