/* The schema interpreter: every API x version x direction round-trips, headers, and
 * malformed input gets a clear error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/schema.h"
#include "testutil.h"

/* ---- a generic filler and comparator driven by the same tables ---- */

static uint32_t rng = 12345;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static const char *words[] = {"topic-a", "", "group-1", "x", "a-much-longer-string-value-for-testing"};
static const uint8_t blob[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static void fill_struct(const kafka__schema_t *s, int v, uint8_t *obj, kafka_arena_t *a, int depth);

static void fill_one(const kafka__field_t *f, int type, int v, uint8_t *p, kafka_arena_t *a, int depth) {
    bool nullable = v >= f->nmin && v <= f->nmax;
    switch (type) {
    case KAFKA__T_BOOL: *(bool *)p = next_rand() & 1; break;
    case KAFKA__T_INT8: *(int8_t *)p = (int8_t)next_rand(); break;
    case KAFKA__T_INT16: *(int16_t *)p = (int16_t)next_rand(); break;
    case KAFKA__T_UINT16: *(uint16_t *)p = (uint16_t)next_rand(); break;
    case KAFKA__T_INT32: *(int32_t *)p = (int32_t)next_rand(); break;
    case KAFKA__T_INT64: *(int64_t *)p = (int64_t)((uint64_t)next_rand() << 32 | next_rand()); break;
    case KAFKA__T_FLOAT64: *(double *)p = (double)next_rand() / 7.0; break;
    case KAFKA__T_UUID:
        for (int i = 0; i < 16; i++) p[i] = (uint8_t)next_rand();
        break;
    case KAFKA__T_STRING: {
        kafka_str_t s = kafka_str(words[next_rand() % 5]);
        if (nullable && next_rand() % 4 == 0) s = kafka_str(NULL);
        memcpy(p, &s, sizeof(s));
        break;
    }
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        kafka_bytes_t b = {blob, (int32_t)(next_rand() % sizeof(blob))};
        if (nullable && next_rand() % 4 == 0) b.len = -1, b.data = NULL;
        memcpy(p, &b, sizeof(b));
        break;
    }
    case KAFKA__T_STRUCT: fill_struct(f->sub, v, p, a, depth + 1); break;
    case KAFKA__T_NSTRUCT: {
        uint8_t *sub = NULL;
        if (!nullable || next_rand() % 3) {
            sub = kafka__arena_alloc(a, f->sub->size);
            fill_struct(f->sub, v, sub, a, depth + 1);
        }
        memcpy(p, &sub, sizeof(sub));
        break;
    }
    case KAFKA__T_ARRAY: {
        struct { void *items; int32_t count; } arr = {NULL, (int32_t)(depth > 3 ? 1 : 1 + next_rand() % 2)};
        if (nullable && next_rand() % 5 == 0) {
            arr.count = -1;
        } else {
            size_t esz = f->elem == KAFKA__T_STRUCT ? f->sub->size
                       : f->elem == KAFKA__T_STRING ? sizeof(kafka_str_t)
                       : f->elem == KAFKA__T_INT64 ? 8 : f->elem == KAFKA__T_INT32 ? 4
                       : f->elem == KAFKA__T_INT16 ? 2 : f->elem == KAFKA__T_UUID ? 16 : 1;
            arr.items = kafka__arena_alloc(a, esz * (size_t)arr.count);
            kafka__field_t ef = *f;
            ef.nmin = 127, ef.nmax = -1; /* elements are never null */
            for (int32_t i = 0; i < arr.count; i++)
                fill_one(&ef, f->elem, v, (uint8_t *)arr.items + esz * (size_t)i, a, depth + 1);
        }
        memcpy(p, &arr, sizeof(arr));
        break;
    }
    }
}

static void fill_struct(const kafka__schema_t *s, int v, uint8_t *obj, kafka_arena_t *a, int depth) {
    kafka__schema_defaults(s, obj);
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        if (v >= f->vmin && v <= f->vmax)
            fill_one(f, f->type, v, obj + f->offset, a, depth);
    }
}

static int count_fields_checked;

/* Compares the fields present at version v; returns the first differing field. */
static const char *diff_struct(const kafka__schema_t *s, int v, const uint8_t *x, const uint8_t *y);

static const char *diff_one(const kafka__field_t *f, int type, int v, const uint8_t *x, const uint8_t *y) {
    count_fields_checked++;
    switch (type) {
    case KAFKA__T_BOOL: return *(const bool *)x == *(const bool *)y ? NULL : f->name;
    case KAFKA__T_INT8: return memcmp(x, y, 1) ? f->name : NULL;
    case KAFKA__T_INT16:
    case KAFKA__T_UINT16: return memcmp(x, y, 2) ? f->name : NULL;
    case KAFKA__T_INT32: return memcmp(x, y, 4) ? f->name : NULL;
    case KAFKA__T_INT64:
    case KAFKA__T_FLOAT64: return memcmp(x, y, 8) ? f->name : NULL;
    case KAFKA__T_UUID: return memcmp(x, y, 16) ? f->name : NULL;
    case KAFKA__T_STRING: {
        kafka_str_t a, b;
        memcpy(&a, x, sizeof(a));
        memcpy(&b, y, sizeof(b));
        if (a.len != b.len || (a.len > 0 && memcmp(a.str, b.str, (size_t)a.len))) return f->name;
        return NULL;
    }
    case KAFKA__T_BYTES:
    case KAFKA__T_RECORDS: {
        kafka_bytes_t a, b;
        memcpy(&a, x, sizeof(a));
        memcpy(&b, y, sizeof(b));
        if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, (size_t)a.len))) return f->name;
        return NULL;
    }
    case KAFKA__T_STRUCT: return diff_struct(f->sub, v, x, y);
    case KAFKA__T_NSTRUCT: {
        const uint8_t *a, *b;
        memcpy(&a, x, sizeof(a));
        memcpy(&b, y, sizeof(b));
        if (!a || !b) return a == b ? NULL : f->name;
        return diff_struct(f->sub, v, a, b);
    }
    case KAFKA__T_ARRAY: {
        struct { void *items; int32_t count; } a, b;
        memcpy(&a, x, sizeof(a));
        memcpy(&b, y, sizeof(b));
        if (a.count != b.count) return f->name;
        size_t esz = f->elem == KAFKA__T_STRUCT ? f->sub->size
                   : f->elem == KAFKA__T_STRING ? sizeof(kafka_str_t)
                   : f->elem == KAFKA__T_INT64 ? 8 : f->elem == KAFKA__T_INT32 ? 4
                   : f->elem == KAFKA__T_INT16 ? 2 : f->elem == KAFKA__T_UUID ? 16 : 1;
        for (int32_t i = 0; i < a.count; i++) {
            const char *d = diff_one(f, f->elem, v, (const uint8_t *)a.items + esz * (size_t)i,
                                     (const uint8_t *)b.items + esz * (size_t)i);
            if (d) return d;
        }
        return NULL;
    }
    }
    return NULL;
}

static const char *diff_struct(const kafka__schema_t *s, int v, const uint8_t *x, const uint8_t *y) {
    for (unsigned i = 0; i < s->nfields; i++) {
        const kafka__field_t *f = &s->fields[i];
        if (v < f->vmin || v > f->vmax) continue;
        const char *d = diff_one(f, f->type, v, x + f->offset, y + f->offset);
        if (d) return d;
    }
    return NULL;
}

/* Every API, every version, request and response: fill, encode as a frame, decode,
 * compare, and re-encode to the same bytes. */
static void test_roundtrip_all(void) {
    int combos = 0;
    for (unsigned i = 0; i < KAFKA_API_COUNT; i++) {
        const kafka__api_t *api = &kafka__apis[i];
        for (int v = api->vmin; v <= api->vmax; v++) {
            for (int dir = 0; dir < 2; dir++) {
                for (int rep = 0; rep < 4; rep++) {
                    kafka_arena_t a = KAFKA_ARENA_INIT;
                    kafka_buf_t b1 = KAFKA_BUF_INIT, b2 = KAFKA_BUF_INIT;
                    const kafka__schema_t *s = dir ? api->response : api->request;
                    uint8_t *in = kafka__arena_alloc(&a, s->size);
                    uint8_t *out = kafka__arena_alloc(&a, s->size);
                    fill_struct(s, v, in, &a, 0);
                    char err[256] = "";
                    kafka_err_t e;
                    kafka_request_header_t hdr = {api->key, (int16_t)v, 1000 + v, kafka_str("client-x")}, hdr2;
                    int32_t corr = 0;
                    if (dir == 0)
                        e = kafka_request_encode(&b1, &hdr, in, err, sizeof(err));
                    else
                        e = kafka_response_encode(&b1, api->key, (int16_t)v, 77, in, err, sizeof(err));
                    if (e) {
                        fprintf(stderr, "%s v%d %s encode: %s\n", api->name, v, dir ? "resp" : "req", err);
                        CU_FAIL("encode failed");
                    }
                    CU_ASSERT_EQUAL_FATAL((size_t)kafka__ld_be32(b1.data) + 4, b1.len);
                    if (dir == 0) {
                        e = kafka_request_decode(b1.data + 4, b1.len - 4, &a, &hdr2, (kafka_request_u *)out, err,
                                                 sizeof(err));
                        CU_ASSERT_EQUAL(hdr2.request_api_key, api->key);
                        CU_ASSERT_EQUAL(hdr2.request_api_version, v);
                        CU_ASSERT_EQUAL(hdr2.correlation_id, 1000 + v);
                        CU_ASSERT(hdr2.client_id.len == 8 && !memcmp(hdr2.client_id.str, "client-x", 8));
                    } else {
                        e = kafka_response_decode(b1.data + 4, b1.len - 4, api->key, (int16_t)v, &a, &corr, out, err,
                                                  sizeof(err));
                        CU_ASSERT_EQUAL(corr, 77);
                    }
                    if (e) {
                        fprintf(stderr, "%s v%d %s decode: %s\n", api->name, v, dir ? "resp" : "req", err);
                        CU_FAIL("decode failed");
                    }
                    const char *d = diff_struct(s, v, in, out);
                    if (d) fprintf(stderr, "%s v%d %s: field %s differs\n", api->name, v, dir ? "resp" : "req", d);
                    CU_ASSERT_PTR_NULL(d);
                    if (dir == 0)
                        e = kafka_request_encode(&b2, &hdr2, out, err, sizeof(err));
                    else
                        e = kafka_response_encode(&b2, api->key, (int16_t)v, corr, out, err, sizeof(err));
                    CU_ASSERT_EQUAL(e, KAFKA_OK);
                    CU_ASSERT(b1.len == b2.len && memcmp(b1.data, b2.data, b1.len) == 0);
                    kafka__buf_free(&b1);
                    kafka__buf_free(&b2);
                    kafka__arena_free(&a);
                    combos++;
                }
            }
        }
    }
    /* 28 APIs: Produce 10 + Fetch 18 + ListOffsets 8 + Metadata 13 + OffsetCommit 10 +
     * OffsetFetch 10 + FindCoordinator 5 + JoinGroup 10 + Heartbeat 5 + LeaveGroup 6 +
     * SyncGroup 6 + DescribeGroups 7 + ListGroups 6 + SaslHandshake 2 + ApiVersions 4 +
     * CreateTopics 8 + DeleteTopics 7 + InitProducerId 6 + OffsetForLeaderEpoch 5 + AddPartitionsToTxn 6 +
     * AddOffsetsToTxn 5 + EndTxn 6 + TxnOffsetCommit 6 + DescribeConfigs 5 + SaslAuthenticate 3 +
     * CreatePartitions 4 + ConsumerGroupHeartbeat 2 + ConsumerGroupDescribe 2 versions. */
    CU_ASSERT_EQUAL(combos, 185 * 2 * 4);
    CU_ASSERT(count_fields_checked > 10000);
}

/* Hand-checked bytes of small, well-known frames. */
static void test_known_bytes(void) {
    /* ApiVersions v0 request, correlation 1, client "c": no body. */
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_request_header_t hdr = {KAFKA_API_API_VERSIONS, 0, 1, kafka_str("c")};
    kafka_api_versions_request_t req;
    kafka_request_init(KAFKA_API_API_VERSIONS, &req);
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, NULL, 0), KAFKA_OK);
    static const uint8_t want0[] = {0, 0, 0, 11, 0, 18, 0, 0, 0, 0, 0, 1, 0, 1, 'c'};
    CU_ASSERT_EQUAL(b.len, sizeof(want0));
    CU_ASSERT(memcmp(b.data, want0, sizeof(want0)) == 0);
    /* v3 is flexible: header v2 (classic client id + empty tag section), compact body. */
    kafka__buf_reset(&b);
    hdr.request_api_version = 3;
    req.client_software_name = kafka_str("lk");
    req.client_software_version = kafka_str("1");
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, NULL, 0), KAFKA_OK);
    static const uint8_t want3[] = {0, 0, 0, 18, 0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 'c', 0, 3, 'l', 'k', 2, '1', 0};
    CU_ASSERT_EQUAL(b.len, sizeof(want3));
    CU_ASSERT(memcmp(b.data, want3, sizeof(want3)) == 0);
    kafka__buf_free(&b);
}

/* Encodes a body (no frame) at version v. */
static void body(int16_t key, bool request, int v, const void *obj, kafka_buf_t *b) {
    const kafka__api_t *api = kafka__api_find(key);
    kafka__buf_reset(b);
    char err[200] = "";
    kafka_err_t e = kafka__schema_encode(request ? api->request : api->response, v, v >= api->flexmin, obj, b, err,
                                         sizeof(err));
    if (e)
        fprintf(stderr, "%s v%d: %s\n", api->name, v, err);
    CU_ASSERT_EQUAL(e, KAFKA_OK);
}

#define BYTES_ARE(b, ...)                                                                                          \
    do {                                                                                                           \
        static const uint8_t want_[] = {__VA_ARGS__};                                                              \
        CU_ASSERT_EQUAL((b).len, sizeof(want_));                                                                   \
        CU_ASSERT((b).len == sizeof(want_) && memcmp((b).data, want_, sizeof(want_)) == 0);                        \
    } while (0)

/* The group APIs' bodies, byte by byte from Kafka's message definitions: classic and
 * flexible encodings, fields that come and go with the version. */
static void test_group_known_bytes(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    /* Heartbeat: GroupId, GenerationId, MemberId; v3 + GroupInstanceId; v4 flexible. */
    kafka_heartbeat_request_t hb;
    kafka_request_init(KAFKA_API_HEARTBEAT, &hb);
    hb.group_id = kafka_str("g");
    hb.generation_id = 5;
    hb.member_id = kafka_str("m");
    body(KAFKA_API_HEARTBEAT, true, 0, &hb, &b);
    BYTES_ARE(b, 0, 1, 'g', 0, 0, 0, 5, 0, 1, 'm');
    body(KAFKA_API_HEARTBEAT, true, 3, &hb, &b);
    BYTES_ARE(b, 0, 1, 'g', 0, 0, 0, 5, 0, 1, 'm', 0xff, 0xff);
    body(KAFKA_API_HEARTBEAT, true, 4, &hb, &b);
    BYTES_ARE(b, 2, 'g', 0, 0, 0, 5, 2, 'm', 0, 0);
    /* A static member's id cannot be dropped below v3 (not ignorable). */
    hb.group_instance_id = kafka_str("i");
    CU_ASSERT_EQUAL(kafka__schema_encode(kafka__api_find(KAFKA_API_HEARTBEAT)->request, 2, false, &hb, &b, NULL, 0),
                    KAFKA_ERR__INVALID_ARG);

    /* JoinGroup v5: RebalanceTimeoutMs (v1+) and GroupInstanceId (v5+). */
    kafka_join_group_request_t jg;
    kafka_request_init(KAFKA_API_JOIN_GROUP, &jg);
    CU_ASSERT_EQUAL(jg.rebalance_timeout_ms, -1);
    CU_ASSERT_EQUAL(jg.group_instance_id.len, -1);
    jg.group_id = kafka_str("g");
    jg.session_timeout_ms = 10000;
    jg.rebalance_timeout_ms = 30000;
    jg.member_id = kafka_str("");
    jg.group_instance_id = kafka_str("i");
    jg.protocol_type = kafka_str("consumer");
    static const uint8_t meta[] = {0xAA, 0xBB};
    kafka_join_group_request_protocol_t proto = {kafka_str("range"), {meta, 2}};
    jg.protocols.items = &proto;
    jg.protocols.count = 1;
    body(KAFKA_API_JOIN_GROUP, true, 5, &jg, &b);
    BYTES_ARE(b, 0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0, 0x75, 0x30, 0, 0, 0, 1, 'i', 0, 8, 'c', 'o', 'n', 's', 'u', 'm',
              'e', 'r', 0, 0, 0, 1, 0, 5, 'r', 'a', 'n', 'g', 'e', 0, 0, 0, 2, 0xAA, 0xBB);
    /* v8 flexible, with Reason (v8+, nullable, ignorable: dropped silently below v8). */
    jg.reason = kafka_str("r");
    body(KAFKA_API_JOIN_GROUP, true, 8, &jg, &b);
    BYTES_ARE(b, 2, 'g', 0, 0, 0x27, 0x10, 0, 0, 0x75, 0x30, 1, 2, 'i', 9, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', 2,
              6, 'r', 'a', 'n', 'g', 'e', 3, 0xAA, 0xBB, 0, 2, 'r', 0);
    jg.group_instance_id = kafka_str(NULL);
    body(KAFKA_API_JOIN_GROUP, true, 0, &jg, &b); /* v0: no rebalance timeout, no reason */
    BYTES_ARE(b, 0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0, 0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', 0, 0, 0, 1, 0, 5,
              'r', 'a', 'n', 'g', 'e', 0, 0, 0, 2, 0xAA, 0xBB);

    /* LeaveGroup: one MemberId up to v2, a batch of members from v3. */
    kafka_leave_group_request_t lg;
    kafka_request_init(KAFKA_API_LEAVE_GROUP, &lg);
    lg.group_id = kafka_str("g");
    lg.member_id = kafka_str("m");
    body(KAFKA_API_LEAVE_GROUP, true, 2, &lg, &b);
    BYTES_ARE(b, 0, 1, 'g', 0, 1, 'm');
    lg.member_id = kafka_str("");
    kafka_leave_group_request_member_identity_t mi[2] = {{kafka_str("m1"), kafka_str(NULL), kafka_str(NULL)},
                                                         {kafka_str("m2"), kafka_str("s"), kafka_str(NULL)}};
    lg.members.items = mi;
    lg.members.count = 2;
    body(KAFKA_API_LEAVE_GROUP, true, 3, &lg, &b);
    BYTES_ARE(b, 0, 1, 'g', 0, 0, 0, 2, 0, 2, 'm', '1', 0xff, 0xff, 0, 2, 'm', '2', 0, 1, 's');

    /* SyncGroup response v5: ProtocolType/ProtocolName, compact bytes. */
    kafka_sync_group_response_t sg;
    kafka_response_init(KAFKA_API_SYNC_GROUP, &sg);
    sg.protocol_type = kafka_str("consumer");
    sg.protocol_name = kafka_str("range");
    sg.assignment = (kafka_bytes_t){meta, 2};
    body(KAFKA_API_SYNC_GROUP, false, 5, &sg, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 9, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r', 6, 'r', 'a', 'n', 'g', 'e', 3, 0xAA,
              0xBB, 0);
    body(KAFKA_API_SYNC_GROUP, false, 0, &sg, &b); /* both ignorable: dropped */
    BYTES_ARE(b, 0, 0, 0, 0, 0, 2, 0xAA, 0xBB);

    /* ListGroups request v4: StatesFilter (compact array of compact strings). */
    kafka_list_groups_request_t lr;
    kafka_request_init(KAFKA_API_LIST_GROUPS, &lr);
    kafka_str_t st = kafka_str("Stable");
    lr.states_filter.items = &st;
    lr.states_filter.count = 1;
    body(KAFKA_API_LIST_GROUPS, true, 4, &lr, &b);
    BYTES_ARE(b, 2, 7, 'S', 't', 'a', 'b', 'l', 'e', 0);
    /* Before v4 a state filter cannot be sent (not ignorable); an empty one can. */
    CU_ASSERT_EQUAL(kafka__schema_encode(kafka__api_find(KAFKA_API_LIST_GROUPS)->request, 3, true, &lr, &b, NULL, 0),
                    KAFKA_ERR__INVALID_ARG);
    lr.states_filter.count = 0;
    body(KAFKA_API_LIST_GROUPS, true, 0, &lr, &b);
    CU_ASSERT_EQUAL(b.len, 0);

    /* DescribeGroups response v6 carries a group's ErrorMessage; v5 does not. */
    kafka_describe_groups_response_t dg;
    kafka_response_init(KAFKA_API_DESCRIBE_GROUPS, &dg);
    kafka_describe_groups_response_described_group_t grp;
    kafka__schema_defaults(kafka__api_find(KAFKA_API_DESCRIBE_GROUPS)->response->fields[1].sub, &grp);
    CU_ASSERT_EQUAL(grp.error_message.len, -1);
    CU_ASSERT_EQUAL(grp.authorized_operations, INT32_MIN);
    grp.error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
    grp.group_id = kafka_str("g");
    grp.error_message = kafka_str("e");
    dg.groups.items = &grp;
    dg.groups.count = 1;
    body(KAFKA_API_DESCRIBE_GROUPS, false, 6, &dg, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 2, 0, 69, 2, 'e', 2, 'g', 1, 1, 1, 1, 0x80, 0, 0, 0, 0, 0);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* ConsumerGroupHeartbeat's Assignment is a nullable struct: an int8 -1 for null, else 1
 * and the struct. */
/* The admin APIs' bodies, byte by byte from Kafka's message definitions. */
static void test_admin_known_bytes(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    /* CreateTopics: one topic with one config; validateOnly from v1, flexible from v5. */
    kafka_create_topics_request_t ct;
    kafka_request_init(KAFKA_API_CREATE_TOPICS, &ct);
    CU_ASSERT_EQUAL(ct.timeout_ms, 60000);
    kafka_create_topics_request_creatable_topic_config_t cfg = {kafka_str("a"), kafka_str("b")};
    kafka_create_topics_request_creatable_topic_t topic = {kafka_str("t"), 3, 2, {NULL, 0}, {&cfg, 1}};
    ct.topics.items = &topic;
    ct.topics.count = 1;
    ct.timeout_ms = 1000;
    body(KAFKA_API_CREATE_TOPICS, true, 0, &ct, &b);
    BYTES_ARE(b, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 3, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 'a', 0, 1, 'b', 0, 0, 3, 0xe8);
    ct.validate_only = true;
    body(KAFKA_API_CREATE_TOPICS, true, 5, &ct, &b);
    BYTES_ARE(b, 2, 2, 't', 0, 0, 0, 3, 0, 2, 1, 2, 2, 'a', 2, 'b', 0, 0, 0, 0, 3, 0xe8, 1, 0);
    /* A validate-only request cannot go at v0 (not ignorable: it would create the topic). */
    CU_ASSERT_EQUAL(
        kafka__schema_encode(kafka__api_find(KAFKA_API_CREATE_TOPICS)->request, 0, false, &ct, &b, NULL, 0),
        KAFKA_ERR__INVALID_ARG);

    /* CreateTopics response v5: TopicConfigErrorCode is tagged field 0, written only when set. */
    kafka_create_topics_response_t cr;
    kafka_response_init(KAFKA_API_CREATE_TOPICS, &cr);
    kafka_create_topics_response_creatable_topic_result_t res;
    kafka__schema_defaults(kafka__api_find(KAFKA_API_CREATE_TOPICS)->response->fields[1].sub, &res);
    CU_ASSERT_EQUAL(res.num_partitions, -1);
    CU_ASSERT_EQUAL(res.configs.count, 0);
    res.name = kafka_str("t");
    res.error_code = KAFKA_ERR_TOPIC_ALREADY_EXISTS;
    res.error_message = kafka_str("x");
    res.configs.count = -1;
    cr.topics.items = &res;
    cr.topics.count = 1;
    body(KAFKA_API_CREATE_TOPICS, false, 5, &cr, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 2, 2, 't', 0, 36, 2, 'x', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0);
    res.topic_config_error_code = 40;
    body(KAFKA_API_CREATE_TOPICS, false, 5, &cr, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 2, 2, 't', 0, 36, 2, 'x', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 2, 0, 40, 0);
    body(KAFKA_API_CREATE_TOPICS, false, 0, &cr, &b); /* v0: no throttle, no message */
    BYTES_ARE(b, 0, 0, 0, 1, 0, 1, 't', 0, 36);

    /* DeleteTopics: names up to v5, (name, id) states from v6. */
    kafka_delete_topics_request_t dt;
    kafka_request_init(KAFKA_API_DELETE_TOPICS, &dt);
    kafka_str_t name = kafka_str("t");
    dt.topic_names.items = &name;
    dt.topic_names.count = 1;
    dt.timeout_ms = 30000;
    body(KAFKA_API_DELETE_TOPICS, true, 1, &dt, &b);
    BYTES_ARE(b, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0x75, 0x30);
    body(KAFKA_API_DELETE_TOPICS, true, 4, &dt, &b);
    BYTES_ARE(b, 2, 2, 't', 0, 0, 0x75, 0x30, 0);
    dt.topic_names.count = 0;
    kafka_delete_topics_request_delete_topic_state_t st = {kafka_str("t"), {{0}}};
    dt.topics.items = &st;
    dt.topics.count = 1;
    body(KAFKA_API_DELETE_TOPICS, true, 6, &dt, &b);
    BYTES_ARE(b, 2, 2, 't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* id */ 0, /* tags */ 0, 0, 0x75, 0x30,
              0);

    /* DescribeConfigs response: IsDefault only in v0, ConfigSource and synonyms from v1. */
    kafka_describe_configs_response_t dc;
    kafka_response_init(KAFKA_API_DESCRIBE_CONFIGS, &dc);
    kafka_describe_configs_response_result_t rr = {0, kafka_str(NULL), 2, kafka_str("t"), {NULL, 0}};
    kafka_describe_configs_response_resource_result_t ent;
    kafka__schema_defaults(kafka__api_find(KAFKA_API_DESCRIBE_CONFIGS)->response->fields[1].sub->fields[4].sub, &ent);
    CU_ASSERT_EQUAL(ent.config_source, -1);
    ent.name = kafka_str("k");
    ent.value = kafka_str("v");
    ent.is_default = true;
    ent.config_source = 5;
    rr.configs.items = &ent;
    rr.configs.count = 1;
    dc.results.items = &rr;
    dc.results.count = 1;
    body(KAFKA_API_DESCRIBE_CONFIGS, false, 0, &dc, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't', 0, 0, 0, 1, 0, 1, 'k', 0, 1, 'v', 0, 1, 0);
    /* IsDefault cannot be said from v1 (not ignorable): ConfigSource says it there. */
    CU_ASSERT_EQUAL(
        kafka__schema_encode(kafka__api_find(KAFKA_API_DESCRIBE_CONFIGS)->response, 1, false, &dc, &b, NULL, 0),
        KAFKA_ERR__INVALID_ARG);
    ent.is_default = false;
    body(KAFKA_API_DESCRIBE_CONFIGS, false, 1, &dc, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xff, 0xff, 2, 0, 1, 't', 0, 0, 0, 1, 0, 1, 'k', 0, 1, 'v', 0, 5, 0, 0,
              0, 0, 0);

    /* CreatePartitions request v0: the new total, null assignments. */
    kafka_create_partitions_request_t cp;
    kafka_request_init(KAFKA_API_CREATE_PARTITIONS, &cp);
    kafka_create_partitions_request_topic_t cpt = {kafka_str("t"), 6, {NULL, -1}};
    cp.topics.items = &cpt;
    cp.topics.count = 1;
    cp.timeout_ms = 1000;
    body(KAFKA_API_CREATE_PARTITIONS, true, 0, &cp, &b);
    BYTES_ARE(b, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 6, 0xff, 0xff, 0xff, 0xff, 0, 0, 3, 0xe8, 0);
    body(KAFKA_API_CREATE_PARTITIONS, true, 2, &cp, &b);
    BYTES_ARE(b, 2, 2, 't', 0, 0, 0, 6, 0, 0, 0, 0, 3, 0xe8, 0, 0);
    kafka__buf_free(&b);
}

static void test_nullable_struct(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_consumer_group_heartbeat_response_t r, out;
    kafka_response_init(KAFKA_API_CONSUMER_GROUP_HEARTBEAT, &r);
    CU_ASSERT_PTR_NULL(r.assignment);
    r.member_id = kafka_str("m");
    r.member_epoch = 3;
    r.heartbeat_interval_ms = 5000;
    body(KAFKA_API_CONSUMER_GROUP_HEARTBEAT, false, 0, &r, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0, 2, 'm', 0, 0, 0, 3, 0, 0, 0x13, 0x88, 0xff, 0);
    CU_ASSERT_EQUAL(kafka_body_decode(b.data, b.len, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 0, false, &a, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_PTR_NULL(out.assignment);
    kafka_consumer_group_heartbeat_response_assignment_t as;
    kafka_consumer_group_heartbeat_response_topic_partitions_t tp;
    memset(&tp.topic_id, 7, sizeof(tp.topic_id));
    int32_t parts[2] = {0, 2};
    tp.partitions.items = parts;
    tp.partitions.count = 2;
    as.topic_partitions.items = &tp;
    as.topic_partitions.count = 1;
    r.assignment = &as;
    body(KAFKA_API_CONSUMER_GROUP_HEARTBEAT, false, 1, &r, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0, 2, 'm', 0, 0, 0, 3, 0, 0, 0x13, 0x88, 1, 2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
              7, 7, 7, 7, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0);
    CU_ASSERT_EQUAL(kafka_body_decode(b.data, b.len, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 1, false, &a, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out.assignment);
    CU_ASSERT_EQUAL(out.assignment->topic_partitions.count, 1);
    CU_ASSERT_EQUAL(out.assignment->topic_partitions.items[0].partitions.items[1], 2);
    /* Cut inside the struct, or just after the marker: an error, never a crash. */
    for (size_t cut = 17; cut < b.len; cut++)
        CU_ASSERT_NOT_EQUAL(kafka_body_decode(b.data, cut, KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 1, false, &a, &out,
                                              NULL, 0),
                            KAFKA_OK);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* ConsumerGroupDescribe (KIP-848): the request's bytes; a response's two assignments (a
 * struct, not nullable, twice) and v1's MemberType (ignorable: dropped at v0). */
static void test_consumer_group_describe(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_consumer_group_describe_request_t req;
    kafka_request_init(KAFKA_API_CONSUMER_GROUP_DESCRIBE, &req);
    kafka_str_t gid = kafka_str("g");
    req.group_ids.items = &gid;
    req.group_ids.count = 1;
    body(KAFKA_API_CONSUMER_GROUP_DESCRIBE, true, 0, &req, &b);
    BYTES_ARE(b, 2, 2, 'g', 0, 0);

    kafka_consumer_group_describe_response_t r, out;
    kafka_response_init(KAFKA_API_CONSUMER_GROUP_DESCRIBE, &r);
    kafka_consumer_group_describe_response_described_group_t dg;
    kafka_consumer_group_describe_response_member_t mem;
    memset(&dg, 0, sizeof(dg));
    memset(&mem, 0, sizeof(mem));
    kafka_consumer_group_describe_response_topic_partitions_t tp;
    memset(&tp.topic_id, 7, sizeof(tp.topic_id));
    tp.topic_name = kafka_str("t");
    int32_t parts[2] = {0, 2};
    tp.partitions.items = parts;
    tp.partitions.count = 2;
    mem.member_id = kafka_str("m");
    mem.instance_id = mem.rack_id = mem.subscribed_topic_regex = (kafka_str_t){NULL, -1};
    mem.member_epoch = 5;
    mem.client_id = kafka_str("c");
    mem.client_host = kafka_str("/h");
    mem.subscribed_topic_names.items = &tp.topic_name;
    mem.subscribed_topic_names.count = 1;
    mem.assignment.topic_partitions.items = &tp;
    mem.assignment.topic_partitions.count = 1;
    mem.member_type = 1;
    dg.error_message = (kafka_str_t){NULL, -1};
    dg.group_id = kafka_str("g");
    dg.group_state = kafka_str("Stable");
    dg.group_epoch = dg.assignment_epoch = 5;
    dg.assignor_name = kafka_str("uniform");
    dg.members.items = &mem;
    dg.members.count = 1;
    dg.authorized_operations = INT32_MIN;
    r.groups.items = &dg;
    r.groups.count = 1;
    body(KAFKA_API_CONSUMER_GROUP_DESCRIBE, false, 0, &r, &b);
    size_t len0 = b.len;
    CU_ASSERT_EQUAL(kafka_body_decode(b.data, b.len, KAFKA_API_CONSUMER_GROUP_DESCRIBE, 0, false, &a, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(out.groups.count, 1);
    CU_ASSERT_EQUAL_FATAL(out.groups.items[0].members.count, 1);
    const kafka_consumer_group_describe_response_member_t *om = &out.groups.items[0].members.items[0];
    CU_ASSERT_EQUAL(om->member_type, -1); /* v0 has none: the default */
    CU_ASSERT_EQUAL(om->member_epoch, 5);
    CU_ASSERT_EQUAL(om->instance_id.len, -1);
    CU_ASSERT_EQUAL_FATAL(om->assignment.topic_partitions.count, 1);
    CU_ASSERT(kafka_str_eq(om->assignment.topic_partitions.items[0].topic_name, "t"));
    CU_ASSERT_EQUAL(om->assignment.topic_partitions.items[0].partitions.items[1], 2);
    CU_ASSERT_EQUAL(om->target_assignment.topic_partitions.count, 0);
    CU_ASSERT(kafka_str_eq(out.groups.items[0].assignor_name, "uniform"));
    body(KAFKA_API_CONSUMER_GROUP_DESCRIBE, false, 1, &r, &b);
    CU_ASSERT_EQUAL(b.len, len0 + 1); /* MemberType, one byte */
    CU_ASSERT_EQUAL(kafka_body_decode(b.data, b.len, KAFKA_API_CONSUMER_GROUP_DESCRIBE, 1, false, &a, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(out.groups.items[0].members.items[0].member_type, 1);
    for (size_t cut = 0; cut < b.len; cut++)
        CU_ASSERT_NOT_EQUAL(kafka_body_decode(b.data, cut, KAFKA_API_CONSUMER_GROUP_DESCRIBE, 1, false, &a, &out, NULL,
                                              0),
                            KAFKA_OK);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* Tagged fields: a non-default tagged value is written and read; unknown tags skipped. */
static void test_tagged_fields(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_api_versions_response_t resp, out;
    kafka_response_init(KAFKA_API_API_VERSIONS, &resp);
    resp.finalized_features_epoch = 42; /* tag 1, default -1 */
    CU_ASSERT_EQUAL(kafka_response_encode(&b, KAFKA_API_API_VERSIONS, 3, 5, &resp, NULL, 0), KAFKA_OK);
    int32_t corr;
    CU_ASSERT_EQUAL(kafka_response_decode(b.data + 4, b.len - 4, KAFKA_API_API_VERSIONS, 3, &a, &corr, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(out.finalized_features_epoch, 42);
    CU_ASSERT_EQUAL(corr, 5);
    /* The same body with an extra unknown tag 9 appended to the top-level tag section. */
    kafka__buf_reset(&b);
    resp.finalized_features_epoch = -1;
    CU_ASSERT_EQUAL(kafka_response_encode(&b, KAFKA_API_API_VERSIONS, 3, 5, &resp, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(b.data[b.len - 1], 0); /* empty tag section */
    b.data[b.len - 1] = 1;
    static const uint8_t extra[] = {9, 2, 0xAB, 0xCD};
    kafka__buf_write(&b, extra, sizeof(extra));
    CU_ASSERT_EQUAL(kafka_response_decode(b.data + 4, b.len - 4, KAFKA_API_API_VERSIONS, 3, &a, &corr, &out, NULL, 0),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(out.finalized_features_epoch, -1);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

static void test_defaults_for_absent_fields(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_fetch_request_t req, out;
    kafka_request_init(KAFKA_API_FETCH, &req);
    CU_ASSERT_EQUAL(req.replica_id, -1);
    CU_ASSERT_EQUAL(req.max_bytes, 0x7fffffff);
    CU_ASSERT_EQUAL(req.session_epoch, -1);
    req.max_bytes = 5; /* not on the wire at v0 */
    kafka_request_header_t hdr = {KAFKA_API_FETCH, 0, 1, kafka_str("c")}, h2;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_request_decode(b.data + 4, b.len - 4, &a, &h2, (kafka_request_u *)&out, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(out.max_bytes, 0x7fffffff);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* A Fetch request with both a topic name and a topic id in each topic: v0-12 write the
 * name, v13+ the id (KIP-516); ReplicaId moves into the tagged ReplicaState at v15, and
 * v17 tags a partition's ReplicaDirectoryId. */
static void fetch_request(kafka_fetch_request_t *req, kafka_fetch_request_topic_t *t,
                          kafka_fetch_request_partition_t *p, kafka_fetch_request_forgotten_topic_t *ft,
                          int32_t *forgot) {
    kafka_request_init(KAFKA_API_FETCH, req);
    memset(t, 0, sizeof(*t));
    memset(p, 0, sizeof(*p));
    memset(ft, 0, sizeof(*ft));
    *p = (kafka_fetch_request_partition_t){3, 7, 42, -1, -1, 1 << 20, {{0}}};
    t->topic = ft->topic = kafka_str("topic-a");
    for (int i = 0; i < 16; i++)
        t->topic_id.b[i] = ft->topic_id.b[i] = (uint8_t)(0xa0 + i);
    t->partitions.items = p;
    t->partitions.count = 1;
    *forgot = 9;
    ft->partitions.items = forgot;
    ft->partitions.count = 1;
    req->topics.items = t;
    req->topics.count = 1;
    req->forgotten_topics_data.items = ft;
    req->forgotten_topics_data.count = 1;
    req->session_id = 5;
    req->session_epoch = 2;
}

static void test_fetch_topic_ids(void) {
    static const kafka_uuid_t zero;
    for (int16_t v = 12; v <= 17; v++) {
        kafka_arena_t a = KAFKA_ARENA_INIT;
        kafka_buf_t b = KAFKA_BUF_INIT;
        kafka_fetch_request_t req, out;
        kafka_fetch_request_topic_t t;
        kafka_fetch_request_partition_t p;
        kafka_fetch_request_forgotten_topic_t ft;
        int32_t forgot;
        fetch_request(&req, &t, &p, &ft, &forgot);
        if (v == 17)
            p.replica_directory_id.b[0] = 1;
        kafka_request_header_t hdr = {KAFKA_API_FETCH, v, 1, kafka_str("c")}, h2;
        char err[256] = "";
        CU_ASSERT_EQUAL_FATAL(kafka_request_encode(&b, &hdr, &req, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(
            kafka_request_decode(b.data + 4, b.len - 4, &a, &h2, (kafka_request_u *)&out, err, sizeof(err)), KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(out.topics.count, 1);
        CU_ASSERT_EQUAL_FATAL(out.forgotten_topics_data.count, 1);
        const kafka_fetch_request_topic_t *ot = &out.topics.items[0];
        const kafka_fetch_request_forgotten_topic_t *of = &out.forgotten_topics_data.items[0];
        if (v < 13) {
            CU_ASSERT(kafka_str_eq(ot->topic, "topic-a") && kafka_str_eq(of->topic, "topic-a"));
            CU_ASSERT(!memcmp(ot->topic_id.b, zero.b, 16) && !memcmp(of->topic_id.b, zero.b, 16));
        } else {
            CU_ASSERT(ot->topic.len <= 0 && of->topic.len <= 0); /* the name is not on the wire */
            CU_ASSERT(!memcmp(ot->topic_id.b, t.topic_id.b, 16) && !memcmp(of->topic_id.b, t.topic_id.b, 16));
        }
        CU_ASSERT_EQUAL(ot->partitions.items[0].fetch_offset, 42);
        CU_ASSERT_EQUAL(ot->partitions.items[0].current_leader_epoch, 7);
        CU_ASSERT_EQUAL(of->partitions.items[0], 9);
        CU_ASSERT_EQUAL(out.replica_id, -1);
        CU_ASSERT_EQUAL(out.replica_state.replica_id, -1);
        CU_ASSERT_EQUAL(out.replica_state.replica_epoch, -1);
        CU_ASSERT_EQUAL(ot->partitions.items[0].replica_directory_id.b[0], v == 17 ? 1 : 0);
        kafka__buf_free(&b);
        kafka__arena_free(&a);
    }
    /* A follower's ReplicaId: a field of its own to v14, in ReplicaState from v15. */
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_fetch_request_t req, out;
    kafka_request_init(KAFKA_API_FETCH, &req);
    req.replica_state.replica_id = 2;
    req.replica_state.replica_epoch = 11;
    kafka_request_header_t hdr = {KAFKA_API_FETCH, 15, 1, kafka_str("c")}, h2;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(kafka_request_decode(b.data + 4, b.len - 4, &a, &h2, (kafka_request_u *)&out, NULL, 0), KAFKA_OK);
    CU_ASSERT_EQUAL(out.replica_state.replica_id, 2);
    CU_ASSERT_EQUAL(out.replica_state.replica_epoch, 11);
    kafka__buf_free(&b);
    /* ReplicaId 2 cannot go at v15 (not ignorable there). */
    kafka_request_init(KAFKA_API_FETCH, &req);
    req.replica_id = 2;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, NULL, 0), KAFKA_ERR__INVALID_ARG);
    kafka__arena_free(&a);
    kafka__buf_free(&b);
}

/* The response: TopicId from v13, NodeEndpoints (tagged) from v16. */
static void test_fetch_response_topic_ids(void) {
    for (int16_t v = 12; v <= 17; v++) {
        kafka_arena_t a = KAFKA_ARENA_INIT;
        kafka_buf_t b = KAFKA_BUF_INIT;
        kafka_fetch_response_t r, out;
        memset(&r, 0, sizeof(r));
        kafka_fetch_response_partition_data_t pd;
        memset(&pd, 0, sizeof(pd));
        pd.partition_index = 1;
        pd.error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
        pd.high_watermark = pd.last_stable_offset = pd.log_start_offset = -1;
        pd.diverging_epoch.epoch = pd.current_leader.leader_id = pd.current_leader.leader_epoch = -1;
        pd.diverging_epoch.end_offset = pd.snapshot_id.end_offset = -1;
        pd.snapshot_id.epoch = pd.preferred_read_replica = -1;
        pd.records = (kafka_bytes_t){NULL, -1};
        pd.aborted_transactions.count = -1;
        kafka_fetch_response_fetchable_topic_response_t tr;
        memset(&tr, 0, sizeof(tr));
        tr.topic = kafka_str("topic-a");
        tr.topic_id.b[15] = 0x42;
        tr.partitions.items = &pd;
        tr.partitions.count = 1;
        r.responses.items = &tr;
        r.responses.count = 1;
        kafka_fetch_response_node_endpoint_t ne = {2, kafka_str("h2"), 9093, kafka_str(NULL)};
        if (v >= 16) {
            r.node_endpoints.items = &ne;
            r.node_endpoints.count = 1;
        }
        char err[256] = "";
        CU_ASSERT_EQUAL_FATAL(kafka_response_encode(&b, KAFKA_API_FETCH, v, 7, &r, err, sizeof(err)), KAFKA_OK);
        int32_t corr = 0;
        CU_ASSERT_EQUAL_FATAL(
            kafka_response_decode(b.data + 4, b.len - 4, KAFKA_API_FETCH, v, &a, &corr, &out, err, sizeof(err)),
            KAFKA_OK);
        CU_ASSERT_EQUAL_FATAL(out.responses.count, 1);
        CU_ASSERT_EQUAL(out.responses.items[0].topic_id.b[15], v >= 13 ? 0x42 : 0);
        CU_ASSERT(v >= 13 ? out.responses.items[0].topic.len <= 0 : kafka_str_eq(out.responses.items[0].topic, "topic-a"));
        CU_ASSERT_EQUAL(out.responses.items[0].partitions.items[0].error_code, KAFKA_ERR_UNKNOWN_TOPIC_ID);
        CU_ASSERT_EQUAL(out.node_endpoints.count, v >= 16 ? 1 : 0);
        if (v >= 16) {
            CU_ASSERT_EQUAL(out.node_endpoints.items[0].port, 9093);
            CU_ASSERT(kafka_str_eq(out.node_endpoints.items[0].host, "h2"));
            CU_ASSERT_EQUAL(out.node_endpoints.items[0].rack.len, -1);
        }
        kafka__buf_free(&b);
        kafka__arena_free(&a);
    }
}

static void test_encode_rejects_unrepresentable(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    kafka_metadata_request_topic_t t;
    memset(&t, 0, sizeof(t));
    t.name = kafka_str(NULL); /* nullable only from v10 */
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_request_header_t hdr = {KAFKA_API_METADATA, 1, 1, kafka_str("c")};
    char err[256] = "";
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "Name") != NULL);
    CU_ASSERT_EQUAL(b.len, 0);
    hdr.request_api_version = 13;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, err, sizeof(err)), KAFKA_ERR__UNSUPPORTED_VERSION);
    hdr.request_api_key = 1234;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &req, err, sizeof(err)), KAFKA_ERR__UNKNOWN_APIKEY);
    kafka__buf_free(&b);
}

/* SyncGroup's Assignment is non-nullable in Kafka, but librdkafka's mock cluster sends
 * null for a member the leader gave nothing: read as len -1 (no partitions), and written
 * back the same (a decoded message re-encodes). The request's Assignment, without the
 * quirk, still refuses a null. */
static void test_readnull_sync_group(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_sync_group_response_t out;
    int32_t corr = 0;
    char err[256] = "";
    const uint8_t v0[] = {0, 0, 0, 7, 0, 0, 0xff, 0xff, 0xff, 0xff};
    CU_ASSERT_EQUAL(kafka_response_decode(v0, sizeof(v0), KAFKA_API_SYNC_GROUP, 0, &a, &corr, &out, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(corr, 7);
    CU_ASSERT_EQUAL(out.error_code, 0);
    CU_ASSERT_EQUAL(out.assignment.len, -1);
    CU_ASSERT_PTR_NULL(out.assignment.data);
    /* v4 (flexible): compact bytes 0 is null, then no tags */
    const uint8_t v4[] = {0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(kafka_response_decode(v4, sizeof(v4), KAFKA_API_SYNC_GROUP, 4, &a, &corr, &out, err, sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(out.assignment.len, -1);
    kafka_buf_t b = KAFKA_BUF_INIT;
    CU_ASSERT_EQUAL(kafka__schema_encode(kafka__api_find(KAFKA_API_SYNC_GROUP)->response, 4, true, &out, &b, err,
                                         sizeof(err)),
                    KAFKA_OK);
    CU_ASSERT_EQUAL(b.len, sizeof(v4) - 5); /* the body: after the correlation id and the header's tags */
    CU_ASSERT(b.len == sizeof(v4) - 5 && memcmp(b.data, v4 + 5, b.len) == 0);
    /* the request's Assignment (no readnull) still rejects a null on read */
    kafka_sync_group_request_t req;
    kafka_request_init(KAFKA_API_SYNC_GROUP, &req);
    kafka_sync_group_request_assignment_t one = {kafka_str("m"), {(const uint8_t *)"x", 1}};
    req.group_id = kafka_str("g");
    req.member_id = kafka_str("m");
    req.assignments.items = &one;
    req.assignments.count = 1;
    kafka__buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(kafka__schema_encode(kafka__api_find(KAFKA_API_SYNC_GROUP)->request, 0, false, &req, &b, NULL, 0),
                          KAFKA_OK);
    CU_ASSERT_EQUAL_FATAL(b.len, 2 + 1 + 4 + 2 + 1 + 4 + 2 + 1 + 4 + 1);
    memset(b.data + b.len - 5, 0xff, 4); /* the assignment's length: -1 */
    b.len -= 1;
    kafka_sync_group_request_t back;
    CU_ASSERT_EQUAL(kafka_body_decode(b.data, b.len, KAFKA_API_SYNC_GROUP, 0, true, &a, &back, err, sizeof(err)),
                    KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "null in a non-nullable field") != NULL);
    kafka__buf_free(&b);
    kafka_arena_free(&a);
}

/* Truncation at every length of a valid frame, and corrupted lengths/counts. */
static void test_malformed(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_buf_t b = KAFKA_BUF_INIT;
    const kafka__api_t *api = kafka__api_find(KAFKA_API_METADATA);
    for (int v = 0; v <= 12; v++) {
        uint8_t *in = kafka__arena_alloc(&a, api->response->size);
        uint8_t *out = kafka__arena_alloc(&a, api->response->size);
        fill_struct(api->response, v, in, &a, 0);
        kafka__buf_reset(&b);
        CU_ASSERT_EQUAL_FATAL(kafka_response_encode(&b, KAFKA_API_METADATA, (int16_t)v, 1, in, NULL, 0), KAFKA_OK);
        for (size_t n = 0; n < b.len - 4; n++) {
            char err[256] = "";
            kafka_err_t e = kafka_response_decode(b.data + 4, n, KAFKA_API_METADATA, (int16_t)v, &a, NULL, out, err,
                                                  sizeof(err));
            CU_ASSERT(e == KAFKA_ERR__TRUNCATED || e == KAFKA_ERR__BAD_MSG);
            CU_ASSERT(err[0] != 0);
        }
        /* trailing garbage */
        kafka__buf_i8(&b, 0);
        CU_ASSERT_EQUAL(kafka_response_decode(b.data + 4, b.len - 4, KAFKA_API_METADATA, (int16_t)v, &a, NULL, out,
                                              NULL, 0), KAFKA_ERR__BAD_MSG);
    }
    /* Metadata v1 response: brokers array count 0x7fffffff with 4 bytes left. */
    static const uint8_t huge[] = {0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    char err[256];
    kafka_metadata_response_t mr;
    CU_ASSERT_EQUAL(kafka_response_decode(huge, sizeof(huge), KAFKA_API_METADATA, 1, &a, NULL, &mr, err, sizeof(err)),
                    KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "array count") != NULL && strstr(err, "Brokers") != NULL);
    /* Negative string length (-5) for a broker host. */
    static const uint8_t neg[] = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xfb, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    CU_ASSERT_EQUAL(kafka_response_decode(neg, sizeof(neg), KAFKA_API_METADATA, 1, &a, NULL, &mr, err, sizeof(err)),
                    KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "negative length") != NULL);
    /* A compact (v9) count whose varint never ends. */
    static const uint8_t varint[] = {0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    CU_ASSERT_EQUAL(kafka_response_decode(varint, sizeof(varint), KAFKA_API_METADATA, 9, &a, NULL, &mr, err,
                                          sizeof(err)), KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "varint") != NULL);
    /* Server side: an unknown API key and an unsupported version still yield the header. */
    kafka_request_header_t hdr;
    kafka_request_u body;
    static const uint8_t unk[] = {0x03, 0xe8, 0, 0, 0, 0, 0, 7, 0xff, 0xff};
    CU_ASSERT_EQUAL(kafka_request_decode(unk, sizeof(unk), &a, &hdr, &body, err, sizeof(err)),
                    KAFKA_ERR__UNKNOWN_APIKEY);
    CU_ASSERT_EQUAL(hdr.correlation_id, 7);
    static const uint8_t badver[] = {0, 18, 0, 99, 0, 0, 0, 8, 0xff, 0xff, 0};
    CU_ASSERT_EQUAL(kafka_request_decode(badver, sizeof(badver), &a, &hdr, &body, err, sizeof(err)),
                    KAFKA_ERR__UNSUPPORTED_VERSION);
    CU_ASSERT_EQUAL(hdr.correlation_id, 8);
    CU_ASSERT_EQUAL(hdr.request_api_version, 99);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}


/* Varints, zigzag, and every fixed-size primitive at its extremes, through the writer
 * and the reader; the header versions 0-2 / 0-1. */
static void test_primitives(void) {
    static const int32_t i32[] = {0, 1, -1, 63, -64, 64, 127, 128, 300, -300, 16383, 16384, INT32_MAX, INT32_MIN};
    static const int64_t i64[] = {0, 1, -1, INT32_MAX, (int64_t)INT32_MIN - 1, INT64_MAX, INT64_MIN};
    kafka_buf_t b = KAFKA_BUF_INIT;
    for (size_t i = 0; i < sizeof(i32) / sizeof(i32[0]); i++) {
        kafka__buf_reset(&b);
        kafka__buf_varint(&b, i32[i]);
        CU_ASSERT_EQUAL(b.len, kafka__varint_size(i32[i]));
        kafka_reader_t r;
        kafka__rd_init(&r, b.data, b.len);
        CU_ASSERT_EQUAL(kafka__rd_varint(&r), i32[i]);
        CU_ASSERT(kafka__rd_ok(&r) && kafka__rd_remaining(&r) == 0);
    }
    for (size_t i = 0; i < sizeof(i64) / sizeof(i64[0]); i++) {
        kafka__buf_reset(&b);
        kafka__buf_varlong(&b, i64[i]);
        CU_ASSERT_EQUAL(b.len, kafka__varlong_size(i64[i]));
        kafka_reader_t r;
        kafka__rd_init(&r, b.data, b.len);
        CU_ASSERT_EQUAL(kafka__rd_varlong(&r), i64[i]);
        CU_ASSERT(kafka__rd_ok(&r) && kafka__rd_remaining(&r) == 0);
        kafka__buf_reset(&b);
        kafka__buf_i64(&b, i64[i]);
        kafka__rd_init(&r, b.data, b.len);
        CU_ASSERT_EQUAL(kafka__rd_i64(&r), i64[i]);
    }
    /* Known zigzag bytes: -1 -> 01, 1 -> 02, -64 -> 7f, 64 -> 80 01. */
    kafka__buf_reset(&b);
    kafka__buf_varint(&b, -1);
    kafka__buf_varint(&b, 1);
    kafka__buf_varint(&b, -64);
    kafka__buf_varint(&b, 64);
    static const uint8_t zz[] = {0x01, 0x02, 0x7f, 0x80, 0x01};
    CU_ASSERT(b.len == sizeof(zz) && memcmp(b.data, zz, sizeof(zz)) == 0);
    /* A 10-byte varlong whose last byte overflows 64 bits, and a 6-byte varint. */
    static const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    kafka_reader_t r;
    kafka__rd_init(&r, over, sizeof(over));
    kafka__rd_varlong(&r);
    CU_ASSERT_EQUAL(r.err, KAFKA_ERR__BAD_MSG);
    kafka__rd_init(&r, over, 6);
    kafka__rd_uvarint(&r);
    CU_ASSERT_EQUAL(r.err, KAFKA_ERR__BAD_MSG);
    /* The sticky error: after a failed read every read returns 0 and the first error stays. */
    kafka__rd_init(&r, over, 3);
    CU_ASSERT_EQUAL(kafka__rd_i32(&r), 0);
    CU_ASSERT_EQUAL(r.err, KAFKA_ERR__TRUNCATED);
    CU_ASSERT_EQUAL(kafka__rd_i8(&r), 0);
    CU_ASSERT_EQUAL(r.err_offset, 0);
    /* Request header v0 (no client id), v1, v2 (tag section) and response header v0/v1. */
    kafka_arena_t a = KAFKA_ARENA_INIT;
    kafka_request_header_t h = {3, 1, 99, kafka_str("cid")}, h2;
    static const size_t req_len[] = {8, 13, 14};
    for (int v = 0; v <= 2; v++) {
        kafka__buf_reset(&b);
        CU_ASSERT_EQUAL(kafka__schema_encode(kafka__schema_request_header, v, v >= 2, &h, &b, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(b.len, req_len[v]);
        kafka__rd_init(&r, b.data, b.len);
        kafka__schema_decode(kafka__schema_request_header, v, v >= 2, &r, &a, &h2);
        CU_ASSERT(kafka__rd_ok(&r) && kafka__rd_remaining(&r) == 0);
        CU_ASSERT_EQUAL(h2.correlation_id, 99);
        CU_ASSERT_EQUAL(h2.client_id.len, v ? 3 : 0); /* absent at v0: the default, "" */
    }
    kafka_response_header_t rh = {7}, rh2;
    for (int v = 0; v <= 1; v++) {
        kafka__buf_reset(&b);
        CU_ASSERT_EQUAL(kafka__schema_encode(kafka__schema_response_header, v, v >= 1, &rh, &b, NULL, 0), KAFKA_OK);
        CU_ASSERT_EQUAL(b.len, 4u + (unsigned)v);
        kafka__rd_init(&r, b.data, b.len);
        kafka__schema_decode(kafka__schema_response_header, v, v >= 1, &r, &a, &rh2);
        CU_ASSERT_EQUAL(rh2.correlation_id, 7);
    }
    CU_ASSERT_EQUAL(kafka_response_header_version(KAFKA_API_API_VERSIONS, 3), 0);
    CU_ASSERT_EQUAL(kafka_response_header_version(KAFKA_API_METADATA, 9), 1);
    CU_ASSERT_EQUAL(kafka_request_header_version(KAFKA_API_METADATA, 8), 1);
    CU_ASSERT_EQUAL(kafka_request_header_version(KAFKA_API_METADATA, 9), 2);
    kafka__arena_free(&a);
    kafka__buf_free(&b);
}


/* Review findings: a tag number that wraps to -1 is not a regular field; a struct array
 * count is bounded by the struct's smallest encoding; non-ignorable fields the version
 * lacks must be at their default; error offsets count from the frame start. */
static void test_hostile_and_version_rules(void) {
    kafka_arena_t a = KAFKA_ARENA_INIT;
    char err[256];
    /* ApiVersions v3 response: error 0, no keys, throttle 0, one tag 0xffffffff carrying
     * 00 23: must be skipped as unknown, not decoded into ErrorCode. */
    static const uint8_t tag[] = {0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 2, 0, 0x23};
    kafka_api_versions_response_t av;
    CU_ASSERT_EQUAL(kafka_response_decode(tag, sizeof(tag), KAFKA_API_API_VERSIONS, 3, &a, NULL, &av, err,
                                          sizeof(err)), KAFKA_OK);
    CU_ASSERT_EQUAL(av.error_code, 0);
    /* Fetch v4 response claiming 100000 partitions in 100000 bytes: refused before any
     * allocation (a partition takes at least 30 bytes at v4). */
    size_t n = 4 + 4 + 4 + 2 + 1 + 4 + 100000;
    uint8_t *big = calloc(1, n);
    big[3] = 1;                       /* correlation id */
    big[11] = 1;                      /* one topic */
    big[13] = 1, big[14] = 't';       /* topic "t" */
    big[15] = 0, big[16] = 0x01, big[17] = 0x86, big[18] = 0xa0; /* 100000 partitions */
    kafka_fetch_response_t fr;
    CU_ASSERT_EQUAL(kafka_response_decode(big, n, KAFKA_API_FETCH, 4, &a, NULL, &fr, err, sizeof(err)),
                    KAFKA_ERR__BAD_MSG);
    CU_ASSERT(strstr(err, "array count") != NULL);
    CU_ASSERT(strstr(err, "at byte 19") != NULL); /* counted from the frame, header included */
    CU_ASSERT(a.total < 4096);
    free(big);
    /* FindCoordinator v0 cannot ask for a transaction coordinator (KeyType 1). */
    kafka_buf_t b = KAFKA_BUF_INIT;
    kafka_find_coordinator_request_t fc;
    kafka_request_init(KAFKA_API_FIND_COORDINATOR, &fc);
    fc.key = kafka_str("txn");
    fc.key_type = 1;
    kafka_request_header_t hdr = {KAFKA_API_FIND_COORDINATOR, 0, 1, kafka_str("c")};
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &fc, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "KeyType") != NULL && strstr(err, "version 0") != NULL);
    hdr.request_api_version = 1;
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &fc, err, sizeof(err)), KAFKA_OK);
    /* A 40000-byte string is refused even where lengths are varints (compact, v3). */
    char *longkey = malloc(40001);
    memset(longkey, 'k', 40000);
    longkey[40000] = 0;
    fc.key = kafka_str(longkey);
    hdr.request_api_version = 3;
    kafka__buf_reset(&b);
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &hdr, &fc, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "32767") != NULL);
    free(longkey);
    /* Bytes with a length but no data are an error, not a null. */
    kafka_produce_request_t pr;
    kafka_request_init(KAFKA_API_PRODUCE, &pr);
    kafka_produce_request_partition_produce_data_t pd = {0, {NULL, 10}};
    kafka_produce_request_topic_produce_data_t td = {kafka_str("t"), {&pd, 1}};
    pr.topic_data.items = &td;
    pr.topic_data.count = 1;
    kafka_request_header_t ph = {KAFKA_API_PRODUCE, 7, 1, kafka_str("c")};
    CU_ASSERT_EQUAL(kafka_request_encode(&b, &ph, &pr, err, sizeof(err)), KAFKA_ERR__INVALID_ARG);
    CU_ASSERT(strstr(err, "Records") != NULL);
    kafka__buf_free(&b);
    kafka__arena_free(&a);
}

/* kafka_str_eq: wire strings (not NUL-terminated, may hold NUL bytes, len -1 null)
 * against C strings. */
static void test_str_eq(void) {
    const char raw[] = {'a', 'b', 0, 'x'};
    CU_ASSERT_TRUE(kafka_str_eq(kafka_str("topic"), "topic"));
    CU_ASSERT_TRUE(kafka_str_eq((kafka_str_t){"topicX", 5}, "topic")); /* only len bytes count */
    CU_ASSERT_FALSE(kafka_str_eq((kafka_str_t){"topic", 5}, "topi"));
    CU_ASSERT_FALSE(kafka_str_eq((kafka_str_t){"topi", 4}, "topic"));
    CU_ASSERT_FALSE(kafka_str_eq((kafka_str_t){raw, 4}, "ab")); /* an embedded NUL is not the end */
    CU_ASSERT_TRUE(kafka_str_eq((kafka_str_t){raw, 2}, "ab"));
    CU_ASSERT_TRUE(kafka_str_eq((kafka_str_t){"", 0}, ""));
    CU_ASSERT_FALSE(kafka_str_eq((kafka_str_t){NULL, -1}, ""));
    CU_ASSERT_FALSE(kafka_str_eq((kafka_str_t){"", 0}, NULL));
    CU_ASSERT_TRUE(kafka_str_eq((kafka_str_t){NULL, -1}, NULL));
}

/* The transaction APIs' bodies, byte by byte: AddPartitionsToTxn's classic single
 * transaction (v0-3) and KIP-890's list (v4+), EndTxn v5's producer id and epoch. */
static void test_txn_known_bytes(void) {
    kafka_buf_t b = KAFKA_BUF_INIT;
    int32_t part = 2;
    kafka_add_partitions_to_txn_request_t ap;
    kafka_request_init(KAFKA_API_ADD_PARTITIONS_TO_TXN, &ap);
    kafka_add_partitions_to_txn_request_topic_t t = {kafka_str("a"), {&part, 1}};
    ap.v3_and_below_transactional_id = kafka_str("t");
    ap.v3_and_below_producer_id = 5;
    ap.v3_and_below_producer_epoch = 1;
    ap.v3_and_below_topics.items = &t;
    ap.v3_and_below_topics.count = 1;
    body(KAFKA_API_ADD_PARTITIONS_TO_TXN, true, 0, &ap, &b);
    BYTES_ARE(b, 0, 1, 't', 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 1, 0, 0, 0, 2);
    body(KAFKA_API_ADD_PARTITIONS_TO_TXN, true, 3, &ap, &b);
    BYTES_ARE(b, 2, 't', 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 2, 2, 'a', 2, 0, 0, 0, 2, 0, 0);
    /* The single transaction cannot go at v4 (not ignorable): the caller builds the list. */
    CU_ASSERT_EQUAL(kafka__schema_encode(kafka__api_find(KAFKA_API_ADD_PARTITIONS_TO_TXN)->request, 4, true, &ap, &b,
                                         NULL, 0),
                    KAFKA_ERR__INVALID_ARG);
    kafka_add_partitions_to_txn_request_t ap4;
    kafka_request_init(KAFKA_API_ADD_PARTITIONS_TO_TXN, &ap4);
    kafka_add_partitions_to_txn_request_transaction_t tx = {kafka_str("t"), 5, 1, true, {&t, 1}};
    ap4.transactions.items = &tx;
    ap4.transactions.count = 1;
    body(KAFKA_API_ADD_PARTITIONS_TO_TXN, true, 4, &ap4, &b);
    BYTES_ARE(b, 2, 2, 't', 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 1, 2, 2, 'a', 2, 0, 0, 0, 2, 0, 0, 0);
    /* EndTxn v5 (KIP-890) answers with the producer id and epoch; v4 has neither. */
    kafka_end_txn_response_t et;
    kafka_response_init(KAFKA_API_END_TXN, &et);
    CU_ASSERT_EQUAL(et.producer_id, -1);
    et.producer_id = 1000;
    et.producer_epoch = 3;
    body(KAFKA_API_END_TXN, false, 5, &et, &b);
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 3, 0);
    body(KAFKA_API_END_TXN, false, 4, &et, &b); /* ignorable: dropped */
    BYTES_ARE(b, 0, 0, 0, 0, 0, 0, 0);
    /* TxnOffsetCommit v3 adds the member fields; v5 (4.0) encodes as v4. */
    kafka_txn_offset_commit_request_t oc;
    kafka_request_init(KAFKA_API_TXN_OFFSET_COMMIT, &oc);
    CU_ASSERT_EQUAL(oc.generation_id, -1);
    CU_ASSERT_EQUAL(oc.group_instance_id.len, -1);
    oc.transactional_id = kafka_str("t");
    oc.group_id = kafka_str("g");
    oc.producer_id = 5;
    oc.producer_epoch = 1;
    oc.member_id = kafka_str("");
    body(KAFKA_API_TXN_OFFSET_COMMIT, true, 5, &oc, &b);
    BYTES_ARE(b, 2, 't', 2, 'g', 0, 0, 0, 0, 0, 0, 0, 5, 0, 1, 0xff, 0xff, 0xff, 0xff, 1, 0, 1, 0);
    kafka__buf_free(&b);
}

static CU_TestInfo tests[] = {
    {"kafka_str_eq", test_str_eq},
    {"hostile tags and counts, version rules, error offsets", test_hostile_and_version_rules},
    {"primitives, varints, headers", test_primitives},
    {"every API x version x direction round-trips", test_roundtrip_all},
    {"known bytes of ApiVersions v0 and v3", test_known_bytes},
    {"known bytes of the group APIs", test_group_known_bytes},
    {"known bytes of the transaction APIs", test_txn_known_bytes},
    {"known bytes of the admin APIs", test_admin_known_bytes},
    {"nullable struct (ConsumerGroupHeartbeat Assignment)", test_nullable_struct},
    {"ConsumerGroupDescribe v0-1", test_consumer_group_describe},
    {"SyncGroup's null assignment from a peer is read as empty", test_readnull_sync_group},
    {"tagged fields written, read, unknown skipped", test_tagged_fields},
    {"absent fields decode to defaults", test_defaults_for_absent_fields},
    {"Fetch v13+ requests name topics by id, v15+ carry ReplicaState, v17 ReplicaDirectoryId", test_fetch_topic_ids},
    {"Fetch v13+ responses name topics by id, v16+ carry NodeEndpoints", test_fetch_response_topic_ids},
    {"encode rejects unrepresentable values", test_encode_rejects_unrepresentable},
    {"malformed input gets a clear error", test_malformed},
    CU_TEST_INFO_NULL,
};

KAFKA_TEST_MAIN("codec", tests)
