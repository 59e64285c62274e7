-- title: Earliest source per claim cluster
-- description: Claims that travelled: each cluster is an earliest claim and every later claim whose
--   chain of best matches leads back to it. For each cluster: where and when it was first said, the
--   sources that earliest claim names, how many later claims and outlets repeated it, and the
--   longest chain of hops. Open claim_id for the chain page.
with recursive
best as (
  -- each claim's primary origin, the rule of store.primary_origin (which trace.chain and the chain
  -- pages follow): an explicit citation first, then the best score; a row with no origin (the
  -- matcher's "unsupported") is no origin
  select m.claim_id, m.origin_claim_id
  from claim_matches m
  where m.id = (
    select m2.id from claim_matches m2
    where m2.claim_id = m.claim_id and m2.origin_claim_id is not null
    order by m2.basis = 'citation' desc, m2.score desc, m2.id
    limit 1
  )
),
walk(claim_id, current, depth, seen) as (
  select claim_id, claim_id, 0, ',' || claim_id || ',' from best
  union all
  -- as trace.chain: stop before a claim already on the path (a cycle)
  select walk.claim_id, best.origin_claim_id, walk.depth + 1, walk.seen || best.origin_claim_id || ','
  from walk join best on best.claim_id = walk.current
  where instr(walk.seen, ',' || best.origin_claim_id || ',') = 0
),
root_of as (
  -- SQLite: the bare column comes from the row holding max(depth), the end of the walk
  select claim_id, current as root_id, max(depth) as hops from walk group by claim_id
)
select
  r.id as claim_id,
  ra.site_name as first_outlet,
  ra.published as first_published,
  r.text as earliest_claim,
  (
    select group_concat(name, '; ') from (
      select distinct s.name from attributions at join sources s on s.id = at.source_id where at.claim_id = r.id
    )
  ) as earliest_sources,
  count(*) as later_claims,
  count(distinct lc.article_id) as later_articles,
  group_concat(distinct la.site_name) as later_outlets,
  max(root_of.hops) as longest_chain_hops,
  max(la.published) as last_published
from root_of
join claims r on r.id = root_of.root_id
join articles ra on ra.id = r.article_id
join claims lc on lc.id = root_of.claim_id
join articles la on la.id = lc.article_id
group by r.id
order by later_claims desc, first_published
