-- The review queue: items whose best candidate was neither clearly right nor clearly
-- wrong, each with every candidate, its score and the reasons, best first. Settle one
-- with `medialake enrich override ENTITY SERVER NATIVE_ID PROVIDER_ID`.
CREATE OR REPLACE VIEW enrichment_review AS
SELECT
    i.entity,
    i.server_id,
    i.native_id,
    i.reason AS decision_reason,
    c.rank,
    c.provider,
    c.provider_id,
    c.title AS candidate_title,
    c.year AS candidate_year,
    round(c.score, 3) AS score,
    c.why,
    c.provider_id = i.provider_id AS proposed
FROM identities i
JOIN identity_candidates c
    ON c.entity = i.entity AND c.server_id = i.server_id AND c.native_id = i.native_id
WHERE i.status = 'review';
