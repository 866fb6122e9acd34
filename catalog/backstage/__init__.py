"""Backstage interoperability: import `catalog-info.yaml` entities into a tenant's catalog, export it back.

Entry points: `importer.import_paths` / `importer.import_uploads` (run inside a tenant context),
`exporter.export_catalog`, the commands `import_backstage` / `export_backstage`, the API
`/api/v1/backstage/import/` and `/export/`, and the page `/t/<tenant>/catalog/import/`.

Pipeline: `parser` (safe YAML, size and alias limits, Location following) -> `validation` (Backstage's own
rules) -> `planner` + `relations` (read-only: what each entity becomes, create / update / unchanged)
-> `importer` (one transaction). A dry run stops after planning.

How entities map (decisions; README "Backstage import" says the same for users):

- **Component, System** -> capabilities, keyed by (kind, namespace, name) in `Capability.source_*`
  (`source_type` keeps `spec.type`). Re-import updates that capability, never duplicates it; an Agora
  capability with no Backstage identity whose slug equals the entity name is adopted (that is how an export
  of hand-made capabilities re-imports into the same tenant). New slugs are the name, made unique
  (`-component`/`-system`, `<namespace>-`, `-2`...); existing slugs never change. `metadata.title` (else
  name) -> name; `metadata.description` -> summary when it is one line of <= 300 characters, otherwise its
  first line is the summary and the whole text the Markdown description; `metadata.tags` -> tags;
  `metadata.links` and well-known annotations -> typed links (`mapping`); `spec.lifecycle` -> lifecycle
  (table in `mapping`); `spec.dependsOn` (+ the reverse `dependencyOf`) -> dependencies, refs resolved
  with Backstage's defaults (kind Component, namespace of the referring entity). On update the YAML wins for
  the fields it maps (edit them in the YAML); status, contacts, SLO and visibility stay Agora's, unless
  `agora/*` annotations (written by export) set them. Archived capabilities stay archived. An import never
  deletes or archives: an entity missing from the YAML leaves its capability (and team) as it is.
- **Group** -> team: slug = name (`<namespace>-<name>` outside the default namespace); name =
  `spec.profile.displayName`, else `metadata.title`, else the name; description. An existing team with
  that slug is that group. Hierarchy (parent/children), type, email and picture are not modelled.
- **spec.owner** (`team-a`, `group:team-a`, `default/team-a`, `group:default/team-a`; kind defaults to
  Group) -> owning team. Capabilities must have an owner team, so a **dangling owner** (a group neither in
  the import nor a team of the tenant) gets a *placeholder team* with that slug and a description saying so
  (warning); importing the Group later fills it in, and it re-imports idempotently. A **User** owner
  (`user:guest`) gets a placeholder team `user-<name>` ("guest (user)"), with a warning: Agora capabilities
  are owned by teams, so reassign them.
- **API** -> not a capability (it is an interface of one): an `api_reference` link on every imported
  Component that lists it in `providesApis` (else on its `spec.system`), pointing at `definition.$text`
  when that is an http(s) URL, else `backstage.io/definition-at-location`, else its `metadata.links`.
  An API with an inline definition only, or provided by nothing imported, is reported, not linked.
- **Resource** -> not a capability (infrastructure behind one): its links are attached to the capabilities
  that `dependsOn` it (else its system); without links it is reported.
- **Domain** -> category: the title (else name) of a System's `spec.domain`; a Component takes its
  System's category.
- **User** -> reported; never creates users. A User whose email (else username) matches a member of this
  tenant is added to the teams of its groups (`memberOf`, Group `members`) as a plain member.
- **Location** -> from disk, `spec.target(s)` are followed when they are relative paths (globs allowed)
  inside the folder the import started from; remote, absolute or escaping targets are reported. From an
  upload nothing can be followed (reported).
- **Unknown kinds** (Template, AiResource, Environment...) and unknown fields are reported, never fatal.
  A second, different definition of the same entity is an error for kinds that write (Component, System,
  Group, Domain, API, Resource) and a warning otherwise (first wins); an identical one is used once.

Atomicity: every document is parsed and validated, then planned, before anything is written; any error
(bad YAML, missing or wrong `apiVersion`, missing or invalid `metadata.name`, invalid tag, link or entity
reference, conflicting duplicate, dependency cycle) refuses the whole import with messages naming the file,
the 1-based document index and the field, and the database is untouched.
"""
