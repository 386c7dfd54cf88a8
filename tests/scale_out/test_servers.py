"""The private servers the scale-out tests stand on really run, and really restart."""

from __future__ import annotations

import psycopg
import redis as redis_client

from tests.support.servers import PostgresServer, RedisServer


def test_postgres_gives_each_test_its_own_database(
    postgres_cluster: PostgresServer, postgres_url: str
) -> None:
    with psycopg.connect(postgres_url) as connection:
        connection.execute("CREATE TABLE mine (x int)")
        connection.execute("INSERT INTO mine VALUES (1)")
        assert connection.execute("SELECT count(*) FROM mine").fetchone() == (1,)
    with psycopg.connect(postgres_cluster.database()) as other:
        tables = other.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'mine'"
        ).fetchone()
    assert tables == (0,)


def test_redis_keeps_its_data_across_a_restart(redis: RedisServer) -> None:
    client = redis_client.Redis.from_url(redis.url)
    client.rpush("queue", "case-1")
    client.close()
    redis.restart()
    client = redis_client.Redis.from_url(redis.url)
    assert client.lrange("queue", 0, -1) == [b"case-1"]
    client.close()
