/* Version profiles: the mock as a given Kafka release (kafka_mock_conf_t.kafka_version,
 * kafka-mock --kafka-version). A profile serves its release's request ranges
 * (releases.c) clamped to what the mock implements (apis.c): an API the mock lacks stays
 * absent, and a version past the codec's is not offered.
 *
 * Behaviours, each from the release's source:
 * - ApiVersions exists from 0.10 (KIP-35); 0.8.2 and 0.9 close the connection on it, as on
 *   any request or version they do not know (they fail to parse it).
 * - A too-new ApiVersions is answered at v0 with UNSUPPORTED_VERSION (0.10 on); from 2.4
 *   the answer lists ApiVersions' own range (KIP-511, ApiVersionsRequest.getErrorResponse),
 *   before it is empty (KafkaApis.handleApiVersionsRequest).
 * - Record formats: MessageSet v0 only before 0.10; v0/v1 in 0.10 (KIP-32); RecordBatch v2
 *   from 0.11 (KIP-98), the old formats still taken on Produce v0-2; 4.0 serves Produce v3+
 *   only, whose records must be RecordBatch v2 (ProduceRequest.validateRecords:
 *   InvalidRecordException, CORRUPT_MESSAGE before INVALID_RECORD existed in 2.4).
 * - message.max.bytes: 1000000 + 12 of log overhead before 3.0, 1 MiB + 12 from 3.0
 *   (KafkaConfig.MessageMaxBytes). auto.create.topics.enable is true in every release.
 */
#include <stdio.h>
#include <string.h>

#include "mock/mock_int.h"
#include "mock/profiles.h"

#define MAGICS_V0 (1u << 0)
#define MAGICS_V01 (1u << 0 | 1u << 1)
#define MAGICS_ALL (1u << 0 | 1u << 1 | 1u << 2)
#define MAGICS_V2 (1u << 2)
#define MMB_OLD ((size_t)1000000 + 12)
#define MMB_3 ((size_t)(1 << 20) + 12)

static const struct {
    const char *name;
    bool kip511;
    uint8_t magics;
    int16_t invalid_record;
    size_t message_max_bytes;
} behaviours[] = {
    {"0.8.2", false, MAGICS_V0, KAFKA_ERR_CORRUPT_MESSAGE, MMB_OLD},
    {"0.9", false, MAGICS_V0, KAFKA_ERR_CORRUPT_MESSAGE, MMB_OLD},
    {"0.10.2", false, MAGICS_V01, KAFKA_ERR_CORRUPT_MESSAGE, MMB_OLD},
    {"0.11", false, MAGICS_ALL, KAFKA_ERR_CORRUPT_MESSAGE, MMB_OLD},
    {"1.1", false, MAGICS_ALL, KAFKA_ERR_CORRUPT_MESSAGE, MMB_OLD},
    {"2.4", true, MAGICS_ALL, KAFKA_ERR_INVALID_RECORD, MMB_OLD},
    {"2.8", true, MAGICS_ALL, KAFKA_ERR_INVALID_RECORD, MMB_OLD},
    {"3.0", true, MAGICS_ALL, KAFKA_ERR_INVALID_RECORD, MMB_3},
    {"3.7", true, MAGICS_ALL, KAFKA_ERR_INVALID_RECORD, MMB_3},
    {"4.0", true, MAGICS_V2, KAFKA_ERR_INVALID_RECORD, MMB_3},
};
#define NPROFILES (sizeof(behaviours) / sizeof(behaviours[0]))

/* latest: what the codec implements, every record format, no message.max.bytes unless
 * the conf sets one (the mock's default). */
static const kmock_profile_t latest = {"latest", NULL, true, MAGICS_ALL, KAFKA_ERR_INVALID_RECORD, 0};

static kmock_profile_t profiles[NPROFILES];
static pthread_once_t profiles_once = PTHREAD_ONCE_INIT;

static void profiles_init(void) {
    for (size_t i = 0; i < NPROFILES; i++) {
        const kmock_release_t *rel = NULL;
        for (int r = 0; r < kmock__nreleases; r++)
            if (!strcmp(kmock__releases[r].name, behaviours[i].name))
                rel = &kmock__releases[r];
        profiles[i] = (kmock_profile_t){behaviours[i].name, rel, behaviours[i].kip511, behaviours[i].magics,
                                        behaviours[i].invalid_record, behaviours[i].message_max_bytes};
    }
}

/* Whether version names the release: "2.4" itself, or one of its versions ("2.4.1"). */
static bool names_release(const char *version, const char *release) {
    size_t n = strlen(release);
    return !strncmp(version, release, n) && (version[n] == '\0' || version[n] == '.');
}

const kmock_profile_t *kmock__profile_find(const char *name) {
    if (!name || !*name || !strcmp(name, "latest"))
        return &latest;
    pthread_once(&profiles_once, profiles_init);
    if (!strcmp(name, "0.8"))
        name = "0.8.2";
    else if (!strcmp(name, "0.10"))
        name = "0.10.2";
    for (size_t i = 0; i < NPROFILES; i++)
        if (profiles[i].release && names_release(name, profiles[i].name))
            return &profiles[i];
    return NULL;
}

const char *kmock__profile_names(void) {
    return "0.8.2, 0.9, 0.10.2, 0.11, 1.1, 2.4, 2.8, 3.0, 3.7, 4.0, latest";
}

bool kmock__profile_range(const kafka_mock_t *m, int16_t key, int16_t *min, int16_t *max) {
    const kmock_api_t *api = kmock__api(key);
    if (!api)
        return false;
    *min = api->min_version;
    *max = api->max_version;
    const kmock_release_t *rel = m->profile->release;
    if (!rel)
        return true;
    for (int i = 0; i < rel->nranges; i++) {
        if (rel->ranges[i].key != key)
            continue;
        if (rel->ranges[i].min > *min)
            *min = rel->ranges[i].min;
        if (rel->ranges[i].max < *max)
            *max = rel->ranges[i].max;
        return *min <= *max;
    }
    return false;
}

bool kmock__profile_set(kafka_mock_t *m, char *errstr, size_t errstr_size) {
    const char *v = m->conf.kafka_version;
    if (m->conf.legacy && (!v || !*v))
        v = "0.8.2";
    m->conf.kafka_version = NULL; /* the caller's string */
    m->profile = kmock__profile_find(v);
    if (!m->profile) {
        snprintf(errstr, errstr_size, "unknown Kafka version '%s' (profiles: %s)", v, kmock__profile_names());
        return false;
    }
    if (!m->conf.message_max_bytes)
        m->conf.message_max_bytes = m->profile->message_max_bytes;
    return true;
}
