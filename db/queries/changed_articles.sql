-- title: Articles that changed between re-crawls
-- description: Each new version of an article's text next to the version before it, with a word
--   diff: [-removed words-] and {+added words+}, shown struck through and underlined. Silent edits,
--   corrections and changed numbers show up here. Filter by an article's canonical URL or leave it
--   empty.
select
  a.id as article_id,
  a.site_name as outlet,
  a.title,
  prev.version as from_version,
  v.version as to_version,
  prev.fetched_at as from_fetched_at,
  v.fetched_at as to_fetched_at,
  case when prev.title is not v.title then prev.title || ' -> ' || v.title end as title_change,
  provenance_diff(prev.text, v.text) as diff,
  a.url
from article_versions v
join article_versions prev on prev.article_id = v.article_id
  and prev.version = (select max(p.version) from article_versions p where p.article_id = v.article_id and p.version < v.version)
join articles a on a.id = v.article_id
where :url = '' or a.url = :url
order by v.fetched_at desc, a.id
