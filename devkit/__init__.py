"""The development kit: real Kafka and PostgreSQL (``infra``), service processes (``services``), a topic
reader (``kafka``), HTTP and SMTP receivers (``receiver``), test event builders (``events``) and the
stack's keys, databases and environments (``stack``). The tests, the benchmarks and the dev stack
(``tools``) all use it; it imports none of them."""
