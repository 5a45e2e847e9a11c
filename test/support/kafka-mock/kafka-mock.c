/*
 * Loopback Kafka for tests: librdkafka's in-memory mock cluster (a real Kafka wire-protocol broker
 * maintained for librdkafka's own tests) with a line-based control channel, driven by mock-kafka.ts.
 *
 * stdout line 1: the bootstrap list ("127.0.0.1:<port>,..."), one port per mock broker (ids 1..N).
 * Then one reply line per command read from stdin:
 *   create <topic> <partitions> <rf>  -> "created <topic> <errcode>"  (36 = TOPIC_ALREADY_EXISTS)
 *   down <brokerId>                   -> "down <brokerId> <errcode>"  (drops connections, refuses new ones)
 *   up <brokerId>                     -> "up <brokerId> <errcode>"
 *   anything else                     -> "error unknown-command"
 * The cluster lives until stdin closes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static void reply(const char *what, const char *subject, rd_kafka_resp_err_t e) {
  printf("%s %s %d\n", what, subject, (int)e);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  char err[512], line[1024];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock cluster failed\n"); return 1; }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  while (fgets(line, sizeof line, stdin)) {
    char topic[512], id[32];
    int parts = 1, rf = 1, broker = 0;
    if (sscanf(line, "create %511s %d %d", topic, &parts, &rf) >= 2) {
      reply("created", topic, rd_kafka_mock_topic_create(mc, topic, parts, rf));
    } else if (sscanf(line, "down %d", &broker) == 1) {
      snprintf(id, sizeof id, "%d", broker);
      reply("down", id, rd_kafka_mock_broker_set_down(mc, broker));
    } else if (sscanf(line, "up %d", &broker) == 1) {
      snprintf(id, sizeof id, "%d", broker);
      reply("up", id, rd_kafka_mock_broker_set_up(mc, broker));
    } else {
      printf("error unknown-command\n");
      fflush(stdout);
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
