-- title: Articles by declared origin
-- description: Articles that name their own origin, in an "Original Source:" footer or a wire
--   dateline such as "(Reuters) -", grouped by that origin, with the stored origin article when we
--   have it. Filter by the origin's URL or leave it empty.
select
  a.declared_origin_url as origin_url,
  a.declared_origin as declared_as,
  count(*) over (partition by a.declared_origin_url) as articles_declaring_it,
  o.id as origin_article_id,
  o.title as origin_title,
  a.id as article_id,
  a.site_name as outlet,
  a.published,
  a.title,
  a.url
from articles a
left join links l on l.article_id = a.id and l.kind = 'declared_origin'
left join articles o on o.id = l.target_article_id
where coalesce(a.declared_origin_url, '') != ''
  and (:url = '' or a.declared_origin_url = :url)
order by a.declared_origin_url, a.published
