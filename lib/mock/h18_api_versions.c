/* ApiVersions (key 18), versions 0-3: the APIs and versions this mock serves. */
#include "mock/mock_int.h"

kmock_result_t kmock__handle_api_versions(kmock_req_t *rq, kafka_response_u *resp) {
    kafka_api_versions_response_t *r = &resp->api_versions;
    KMOCK_ARRAY(r->api_keys, rq, "ApiVersion", kmock__napis);
    for (int32_t i = 0; i < r->api_keys.count; i++) {
        r->api_keys.items[i].api_key = kmock__apis[i].key;
        r->api_keys.items[i].min_version = kmock__apis[i].min_version;
        r->api_keys.items[i].max_version = kmock__apis[i].max_version;
    }
    return KMOCK_RESPOND;
}
