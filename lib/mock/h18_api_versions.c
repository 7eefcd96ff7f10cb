/* ApiVersions (key 18), versions 0-3: the APIs and versions this mock serves, as its
 * profile (the Kafka release it behaves as) narrows them. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_api_versions(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_api_versions_response_t *r = &resp->api_versions;
    KMOCK_ARRAY(r->api_keys, rq, "ApiVersion", kmock__napis);
    int32_t n = 0;
    for (int i = 0; i < r->api_keys.count; i++) {
        int16_t min, max;
        if (!kmock__profile_range(rq->m, kmock__apis[i].key, &min, &max))
            continue;
        r->api_keys.items[n].api_key = kmock__apis[i].key;
        r->api_keys.items[n].min_version = min;
        r->api_keys.items[n].max_version = max;
        n++;
    }
    r->api_keys.count = n;
    return KMOCK_RESPOND;
}
