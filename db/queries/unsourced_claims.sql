-- title: Claims with no source and no origin
-- description: Claims in the current version of each article that name no source and match no
--   earlier claim: the statements a reader has to take on trust. "unsupported" is 1 where the
--   matcher flagged the claim as a checkable statement no earlier article carries. Filter by an
--   article's canonical URL or leave it empty.
select
  c.id as claim_id,
  a.site_name as outlet,
  a.published,
  c.text as claim,
  exists (select 1 from claim_matches m where m.claim_id = c.id and m.origin_claim_id is null) as unsupported,
  a.id as article_id,
  a.url as article_url
from claims c
join articles a on a.id = c.article_id
where c.version = a.version
  and not exists (select 1 from attributions at where at.claim_id = c.id)
  -- a claim_matches row with no origin is the matcher's "unsupported" verdict, not an origin
  and not exists (select 1 from claim_matches m where m.claim_id = c.id and m.origin_claim_id is not null)
  and (:url = '' or a.url = :url)
order by a.published, a.id, c.seq
