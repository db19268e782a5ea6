-- The skills taxonomy in Postgres: O*NET 29.3 occupations (with their task statements, skills and knowledge
-- ratings, technologies, alternate titles and related occupations) and ESCO v1.2 skills (labels, broader
-- links, skill groups, skill-skill relations). The rows come from the files shipped in tools/data and are
-- loaded by tools/taxonomy_store.sync_taxonomy, which every process runs after the migrations: it replaces
-- the contents of these tables, in one transaction, whenever the shipped files' hash differs from
-- taxonomy_meta.version. Do not edit the rows by hand; a reload truncates the tables.

CREATE TABLE taxonomy_meta (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),  -- a single row
    version text NOT NULL,                           -- sha256 of the shipped data files (and the loader)
    loaded_at timestamptz NOT NULL DEFAULT now(),
    attribution text NOT NULL,                       -- O*NET and ESCO attribution, to show with the data
    counts jsonb NOT NULL                            -- rows loaded per table
);

CREATE TABLE onet_occupations (
    code text PRIMARY KEY,                           -- O*NET-SOC code, e.g. 15-2051.00
    title text NOT NULL,
    description text NOT NULL,
    job_zone smallint                                -- preparation level 1-5
);

CREATE TABLE onet_alternate_titles (
    code text NOT NULL REFERENCES onet_occupations (code),
    title text NOT NULL,                             -- Alternate Titles and Sample of Reported Titles
    PRIMARY KEY (code, title)
);
CREATE INDEX onet_alternate_titles_lower ON onet_alternate_titles (lower(title));

CREATE TABLE onet_tasks (
    task_id integer PRIMARY KEY,                     -- O*NET Task ID
    code text NOT NULL REFERENCES onet_occupations (code),
    statement text NOT NULL,
    core boolean NOT NULL                            -- Task Type Core (else Supplemental)
);
CREATE INDEX onet_tasks_code ON onet_tasks (code);

CREATE TABLE onet_occupation_skills (
    code text NOT NULL REFERENCES onet_occupations (code),
    rank smallint NOT NULL,                          -- 1 = most important
    name text NOT NULL,                              -- an O*NET skill or knowledge area (names can be both)
    importance real NOT NULL,                        -- IM scale, 1-5 (only >= 3.0 are shipped)
    level real NOT NULL,                             -- LV scale, 0-7
    PRIMARY KEY (code, rank)
);

CREATE TABLE onet_technologies (
    code text NOT NULL REFERENCES onet_occupations (code),
    rank smallint NOT NULL,                          -- hot technologies first
    name text NOT NULL,
    category text NOT NULL,                          -- UNSPSC commodity title
    hot boolean NOT NULL,
    PRIMARY KEY (code, rank)
);
CREATE INDEX onet_technologies_name ON onet_technologies (lower(name));

CREATE TABLE onet_related_occupations (
    code text NOT NULL REFERENCES onet_occupations (code),
    rank smallint NOT NULL,                          -- 1 = closest (O*NET's Index)
    related_code text NOT NULL REFERENCES onet_occupations (code),
    PRIMARY KEY (code, rank)
);

CREATE TABLE esco_skill_groups (
    id text PRIMARY KEY,                             -- last segment of the group URI (UUID or ISCED-F code)
    label text NOT NULL,
    code text NOT NULL                               -- e.g. S1.2, K06, 0613
);

CREATE TABLE esco_skills (
    id text PRIMARY KEY,                             -- last segment of the skill URI (a UUID)
    label text NOT NULL,                             -- preferred label
    alt_labels text[] NOT NULL,
    labels_inferred boolean NOT NULL                 -- labels split by rule from a joined text (see ATTRIBUTION.md)
);
CREATE INDEX esco_skills_label ON esco_skills (lower(label));

-- skill -> broader skill or skill group, and skill group -> broader group (ESCO's broaderRelationsSkillPillar)
CREATE TABLE esco_broader (
    concept_id text NOT NULL,
    broader_id text NOT NULL,
    rank smallint NOT NULL,                          -- 1 = first (broader skills before groups)
    PRIMARY KEY (concept_id, broader_id)
);
CREATE INDEX esco_broader_broader ON esco_broader (broader_id);

CREATE TABLE esco_skill_relations (
    skill_id text NOT NULL REFERENCES esco_skills (id),
    related_id text NOT NULL REFERENCES esco_skills (id),
    relation text NOT NULL CHECK (relation IN ('essential', 'optional')),
    PRIMARY KEY (skill_id, related_id)
);
