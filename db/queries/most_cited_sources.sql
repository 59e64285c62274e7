-- title: Most-cited sources
-- description: Sources ranked by how many claims are attributed to them, with the number of
--   articles and outlets citing them, when they were first and last cited, and their other names.
--   Filter by kind (person, organization, outlet, document, anonymous) or leave it empty.
select
  s.id as source_id,
  s.name as source,
  s.kind,
  count(distinct at.claim_id) as claims,
  count(distinct c.article_id) as articles,
  count(distinct a.domain) as outlets,
  min(a.published) as first_cited,
  max(a.published) as last_cited,
  (select group_concat(sa.alias, '; ') from source_aliases sa where sa.source_id = s.id and sa.alias != s.name) as aliases
from sources s
join attributions at on at.source_id = s.id
join claims c on c.id = at.claim_id
join articles a on a.id = c.article_id
where :kind = '' or s.kind = :kind
group by s.id
order by claims desc, articles desc, s.name
