-- Garbage collection and controllers look up dependents by owner uid.
CREATE INDEX "objects_owner_refs_idx" ON "objects" USING GIN (("data"->'metadata'->'ownerReferences') jsonb_path_ops);
