-- CreateTable
CREATE TABLE "revision" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "value" BIGINT NOT NULL,
    "compacted" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "revision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "objects" (
    "resource" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "uid" UUID NOT NULL,
    "resource_version" BIGINT NOT NULL,
    "data" JSONB NOT NULL,
    "fields" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "objects_pkey" PRIMARY KEY ("resource","namespace","name")
);

-- CreateTable
CREATE TABLE "changes" (
    "revision" BIGINT NOT NULL,
    "resource" TEXT NOT NULL,
    "namespace" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "object" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "changes_pkey" PRIMARY KEY ("revision")
);

-- CreateIndex
CREATE INDEX "objects_resource_version_idx" ON "objects"("resource_version");

-- CreateIndex
CREATE INDEX "changes_resource_revision_idx" ON "changes"("resource", "revision");

-- CreateIndex
CREATE INDEX "changes_created_at_idx" ON "changes"("created_at");


-- Hand-written: the one revision row every write locks and bumps.
INSERT INTO "revision" ("id", "value", "compacted") VALUES (1, 0, 0);

-- Hand-written: selectors filter on labels and a few fields inside the JSON.
CREATE INDEX "objects_labels_idx" ON "objects" USING GIN (("data"->'metadata'->'labels') jsonb_path_ops);
CREATE INDEX "objects_pods_node_idx" ON "objects" (("fields"->>'spec.nodeName')) WHERE "resource" = 'pods';
