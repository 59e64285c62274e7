-- title: Claims with no source and no origin
-- description: Claims in the current version of each article that name no source and match no
--   earlier claim: the statements a reader has to take on trust. Filter by an article's canonical
--   URL or leave it empty.
select
  c.id as claim_id,
  a.site_name as outlet,
  a.published,
  c.text as claim,
  a.id as article_id,
  a.url as article_url
from claims c
join articles a on a.id = c.article_id
where c.version = a.version
  and not exists (select 1 from attributions at where at.claim_id = c.id)
  and not exists (select 1 from claim_matches m where m.claim_id = c.id)
  and (:url = '' or a.url = :url)
order by a.published, a.id, c.seq
