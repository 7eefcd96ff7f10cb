/* Fuzz target for the record data decoder (MessageSet v0/v1, RecordBatch v2, all
 * codecs). Byte 0: bit 0 turns CRC checks on, bit 1 keeps control batches. */
#include <stdlib.h>

#include "kafka/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    kafka_records_reader_t *rr = kafka_records_reader_new(data + 1, size - 1, data[0] & 1, 1 << 20);
    if (!rr)
        return 0;
    kafka_records_reader_set_skip_control(rr, !(data[0] & 2));
    kafka_record_t rec;
    kafka_header_t hdrs[8];
    int rc, guard = 0;
    while ((rc = kafka_records_reader_next(rr, &rec)) != 0 && guard++ < 1000000) {
        if (rc == 1) {
            int n = kafka_record_headers(&rec, hdrs, 8);
            volatile uint8_t sink = 0;
            for (int i = 0; i < n; i++)
                if (hdrs[i].key.len > 0)
                    sink ^= (uint8_t)hdrs[i].key.str[hdrs[i].key.len - 1];
            if (rec.value.len > 0)
                sink ^= rec.value.data[rec.value.len - 1];
            (void)sink;
        }
    }
    kafka_records_reader_destroy(rr);
    return 0;
}
