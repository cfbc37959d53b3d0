"""The execution-database resource (key ``sql``, ``ctx.sql``) and its client code: the catalog, read-only
connections with limits, statement checks, schema introspection and parallel sessions."""

from resources.sql.resource import SQLDatabaseResource, sql_from_env

__all__ = ["SQLDatabaseResource", "sql_from_env"]
