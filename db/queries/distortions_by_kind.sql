-- title: Distortions by kind, both texts side by side
-- description: Every change a claim went through on its way from an earlier article: a number
--   changed, a hedge dropped ("up to", "about", "could"), an attribution dropped or strengthened
--   ("suggested" became "confirmed"), or a claim with no support. The later claim is on the left,
--   the earlier claim it derives from on the right. Filter by kind (number_changed, hedge_dropped,
--   attribution_dropped, attribution_strengthened, unsupported) or leave it empty.
select
  d.kind,
  d.detail,
  d.claim_id,
  la.site_name as outlet,
  la.published,
  lc.text as claim,
  d.origin_claim_id,
  oa.site_name as origin_outlet,
  oa.published as origin_published,
  oc.text as origin_claim,
  d.relation,
  d.score
from distortions d
join claims lc on lc.id = d.claim_id
join articles la on la.id = lc.article_id
-- an "unsupported" claim has no earlier claim: its origin columns stay empty
left join claims oc on oc.id = d.origin_claim_id
left join articles oa on oa.id = oc.article_id
where :kind = '' or d.kind = :kind
order by d.kind, la.published desc, d.score desc
