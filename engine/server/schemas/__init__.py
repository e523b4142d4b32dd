"""The API's wire shapes, one module per area (as Prefect's `schemas.actions` /
`schemas.responses`): what each route takes (`…Create`, `…Set`, `…Write`, request
models) and what it answers (`…Response`). Routes only translate between these and the
services; OpenAPI, and through it the editor's TypeScript types
(`editor_ui/src/api/schema.d.ts`, `npm run gen:api`), are generated from them."""
