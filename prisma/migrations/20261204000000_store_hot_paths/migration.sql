-- The scheduler asks for the oldest pods without a node on every run: a partial index of
-- just those, in that order, instead of reading every pod.
CREATE INDEX "objects_pods_pending_idx" ON "objects" ("created_at", "namespace", "name")
  WHERE "resource" = 'pods' AND coalesce("fields"->>'spec.nodeName', '') = '';

-- No query looks objects up by resource_version (watches read the change log), and as an
-- index it cost every write (every write changes it).
DROP INDEX "objects_resource_version_idx";
