/* The codec alone, no broker: a Metadata v12 request encoded as a client sends it and
 * decoded as a broker reads it, then a response encoded by the "broker" and decoded by
 * the "client". Prints what each side saw.
 *
 *   codec [TOPIC]
 *
 * Build against an installed libkafka:
 *   cc codec.c $(pkg-config --cflags --libs libkafka) -o codec */
#include <kafka/kafka.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: %s [TOPIC]   (libkafka %s)\n", argv[0], kafka_version());
        return 0;
    }
    const char *topic = argc > 1 ? argv[1] : "logs";
    char errstr[512];
    int rc = 1;
    kafka_buf_t out = KAFKA_BUF_INIT;
    kafka_arena_t arena = KAFKA_ARENA_INIT;

    /* Client: the request, every field at its default, then ours. */
    kafka_metadata_request_topic_t t;
    memset(&t, 0, sizeof(t));
    t.name = kafka_str(topic);
    kafka_metadata_request_t req;
    kafka_request_init(KAFKA_API_METADATA, &req);
    req.topics.items = &t;
    req.topics.count = 1;
    kafka_request_header_t hdr = {KAFKA_API_METADATA, 12, 7, kafka_str("codec-example")};
    if (kafka_request_encode(&out, &hdr, &req, errstr, sizeof(errstr))) {
        fprintf(stderr, "encode request: %s\n", errstr);
        goto done;
    }
    printf("request: %zu bytes\n", out.len);

    /* Broker: the frame after its 4-byte size prefix. */
    kafka_request_header_t got;
    kafka_request_u body;
    if (kafka_request_decode(out.data + 4, out.len - 4, &arena, &got, &body, errstr, sizeof(errstr))) {
        fprintf(stderr, "decode request: %s\n", errstr);
        goto done;
    }
    printf("broker read: %s v%d, correlation id %d, client %.*s, topic %.*s\n", kafka_api_name(got.request_api_key),
           got.request_api_version, got.correlation_id, (int)got.client_id.len, got.client_id.str,
           (int)body.metadata.topics.items[0].name.len, body.metadata.topics.items[0].name.str);

    /* Broker: a response naming one broker; the request's strings are still valid. */
    kafka_metadata_response_broker_t b = {1, kafka_str("127.0.0.1"), 9092, {NULL, -1}};
    kafka_metadata_response_t resp;
    kafka_response_init(KAFKA_API_METADATA, &resp);
    resp.brokers.items = &b;
    resp.brokers.count = 1;
    resp.controller_id = 1;
    kafka_buf_t rout = KAFKA_BUF_INIT;
    if (kafka_response_encode(&rout, KAFKA_API_METADATA, 12, got.correlation_id, &resp, errstr, sizeof(errstr))) {
        fprintf(stderr, "encode response: %s\n", errstr);
        kafka_buf_free(&rout);
        goto done;
    }

    /* Client: decoded against the request it sent. */
    kafka_arena_t carena = KAFKA_ARENA_INIT;
    kafka_metadata_response_t cresp;
    int32_t corr = -1;
    if (kafka_response_decode(rout.data + 4, rout.len - 4, KAFKA_API_METADATA, 12, &carena, &corr, &cresp, errstr,
                              sizeof(errstr)) == KAFKA_OK) {
        printf("client read: correlation id %d, %d broker(s), broker %d at %.*s:%d, controller %d\n", corr,
               cresp.brokers.count, cresp.brokers.items[0].node_id, (int)cresp.brokers.items[0].host.len,
               cresp.brokers.items[0].host.str, cresp.brokers.items[0].port, cresp.controller_id);
        rc = 0;
    } else {
        fprintf(stderr, "decode response: %s\n", errstr);
    }
    kafka_arena_free(&carena);
    kafka_buf_free(&rout);
done:
    kafka_arena_free(&arena);
    kafka_buf_free(&out);
    return rc;
}
