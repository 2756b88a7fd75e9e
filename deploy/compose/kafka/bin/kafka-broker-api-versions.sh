#!/bin/sh
# as in Kafka's distribution (the compose file's healthcheck calls it)
exec java -cp "/opt/kafka/libs/*" -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
