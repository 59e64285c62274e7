-- title: Claims with their sources
-- description: Every claim in the current version of each article, one row per source it is
--   attributed to: the words used to name the source (mention), the cue ("said", "according to",
--   "as reported by"...), how the attribution was found (explicit, inherited, article-level,
--   hyperlink) and its confidence. Filter by source (a name or alias, partial match) or by an
--   article's canonical URL; leave both empty for everything.
select
  c.id as claim_id,
  a.site_name as outlet,
  a.published,
  c.text as claim,
  s.name as source,
  s.kind as source_kind,
  at.mention,
  at.cue,
  at.method,
  at.confidence,
  a.id as article_id,
  a.url as article_url
from claims c
join articles a on a.id = c.article_id
join attributions at on at.claim_id = c.id
join sources s on s.id = at.source_id
where c.version = a.version
  and (
    :source = ''
    or s.name like '%' || :source || '%'
    or exists (select 1 from source_aliases sa where sa.source_id = s.id and sa.alias like '%' || :source || '%')
  )
  and (:url = '' or a.url = :url)
order by a.published, a.id, c.seq, at.confidence desc
