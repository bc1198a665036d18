"""The token bucket as one Lua script: read, refill and take a token in one atomic step on the Redis server."""

from __future__ import annotations

import hashlib

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

# KEYS[1]: the bucket, a hash {tokens, ts}. ARGV[1]: capacity (tokens), ARGV[2]: window (ms to refill an empty
# bucket). Returns {allowed (0/1), whole tokens left, ms until full, ms until the next whole token (0 if one is
# left)}. The clock is the server's (TIME), so app servers with skewed clocks share buckets correctly; a script
# that reads TIME and then writes needs effects replication, the default since Redis 5 (the only mode in 7).
TOKEN_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = capacity / tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
local next_token = 0
if tokens < 1 then
  next_token = math.ceil((1 - tokens) / rate)
end
local full = math.ceil((capacity - tokens) / rate)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
-- A bucket left alone refills completely, which is what a missing key means: let it expire then.
redis.call('PEXPIRE', KEYS[1], math.max(full, 1))
return {allowed, math.floor(tokens), full, next_token}
"""
TOKEN_BUCKET_SHA = hashlib.sha1(TOKEN_BUCKET.encode(), usedforsecurity=False).hexdigest()


async def run_token_bucket(redis: Redis, key: str, capacity: int, window_ms: int) -> list[int]:
    """Take a token from the bucket at ``key``: EVALSHA, and EVAL when the server does not know the script.

    A server forgets its scripts on restart, failover or ``SCRIPT FLUSH``; EVAL runs the script and caches it
    under the same SHA1, so the next call's EVALSHA finds it again (what redis-py's ``register_script`` does,
    without binding the script to one client: the client here is chosen per request).
    """
    try:
        result = await redis.evalsha(TOKEN_BUCKET_SHA, 1, key, capacity, window_ms)
    except NoScriptError:
        result = await redis.eval(TOKEN_BUCKET, 1, key, capacity, window_ms)
    return [int(value) for value in result]
