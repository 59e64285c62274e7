-- title: Earliest source per claim cluster
-- description: Claims that travelled: each cluster is an earliest claim and every later claim whose
--   chain of best matches leads back to it. For each cluster: where and when it was first said, the
--   sources that earliest claim names, how many later claims and outlets repeated it, and the
--   longest chain of hops. Open claim_id for the chain page.
with recursive
best as (
  select m.claim_id, m.origin_claim_id
  from claim_matches m
  where m.id = (
    select m2.id from claim_matches m2 where m2.claim_id = m.claim_id order by m2.score desc, m2.id limit 1
  )
),
walk(claim_id, current, depth) as (
  select claim_id, claim_id, 0 from best
  union all
  select walk.claim_id, best.origin_claim_id, walk.depth + 1
  from walk join best on best.claim_id = walk.current
  where walk.depth < 50
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
