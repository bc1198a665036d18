"""Tag bookkeeping in Redis: storing entries into their tag sets, and invalidating tags.

Each tag ``t`` has a set ``<ns>-tag:t`` of the entry keys stored with it. An entry and its tag memberships are
written by one Lua script, so they cannot drift apart, and a tag set's TTL is raised to the longest TTL of its
entries: it expires with the last of them and never before any of them.

Invalidating a tag deletes its set and the entries in it, and replaces the tag's *generation*
(``<ns>-gen:t``, a random token). A load reads the generations of its tags before it reads the source, and its
store is skipped if any of them changed meanwhile: without that, a read that fetched the row just before a write
committed could put the old row back into the cache just after the write invalidated it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from redis.asyncio import Redis

from reference_app.cache.keys import KeySpace

# Long enough to outlast any source read in flight when the tag is invalidated (see the module docstring);
# past it, a load that read the generation before the invalidation merely skips its store.
GENERATION_TTL_MS = 600_000
UNLINK_BATCH = 500

# KEYS: n entry keys, m tag sets, then (when checking) the m generation keys of those tags.
# ARGV: ttl_ms, n, m, check (1 or 0), the n values, then (when checking) the m generations read before the load.
STORE_SCRIPT = """
local ttl, n, m = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[4] == '1' then
  for i = 1, m do
    if (redis.call('GET', KEYS[n + m + i]) or '') ~= ARGV[4 + n + i] then return 0 end
  end
end
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[4 + i], 'PX', ttl)
end
for j = 1, m do
  local tag = KEYS[n + j]
  for i = 1, n do redis.call('SADD', tag, KEYS[i]) end
  if redis.call('PTTL', tag) < ttl then redis.call('PEXPIRE', tag, ttl) end
end
return 1
"""

Generations = tuple[str | bytes, ...]
"""The generation tokens of some tags, in order; ``""`` for a tag never invalidated (or long ago)."""


async def read_generations(redis: Redis, keys: KeySpace, tags: Sequence[str]) -> Generations:
    """The current generations of ``tags`` (one ``MGET``)."""
    if not tags:
        return ()
    return tuple(token or "" for token in await redis.mget([keys.generation(tag) for tag in tags]))


async def store(
    redis: Redis,
    keys: KeySpace,
    entries: Mapping[str, str],
    ttl_ms: int,
    tags: Sequence[str],
    generations: Generations | None = None,
) -> bool:
    """Write ``entries`` (Redis key to JSON) with ``ttl_ms`` into the sets of ``tags``, in one round trip.

    With ``generations`` (from :func:`read_generations` before the source was read), nothing is written if a tag
    was invalidated since; the result says whether the entries were written.
    """
    check = generations is not None
    script_keys = [*entries, *(keys.tag(tag) for tag in tags)]
    args: list[str | bytes | int] = [ttl_ms, len(entries), len(tags), int(check), *entries.values()]
    if generations is not None:
        script_keys += [keys.generation(tag) for tag in tags]
        args += generations
    script = redis.register_script(STORE_SCRIPT)
    return bool(await script(keys=script_keys, args=args))


async def invalidate(redis: Redis, keys: KeySpace, tags: Sequence[str]) -> int:
    """Delete the entries of ``tags`` and their sets, and change their generations; return the entries deleted.

    One ``MULTI`` reads and drops every tag set and changes the generations together; then the entries go by
    ``UNLINK`` (freed off Redis's main thread), in batches. An entry stored between the two steps is deleted too:
    harmless, it is a miss.
    """
    if not tags:
        return 0
    async with redis.pipeline(transaction=True) as pipe:
        for tag in tags:
            pipe.smembers(keys.tag(tag))
            pipe.delete(keys.tag(tag))
            pipe.set(keys.generation(tag), secrets.token_hex(8), px=GENERATION_TTL_MS)
        replies = await pipe.execute()
    members = sorted({key for reply in replies[::3] for key in reply})
    deleted = 0
    for start in range(0, len(members), UNLINK_BATCH):
        deleted += await redis.unlink(*members[start : start + UNLINK_BATCH])
    return deleted
