"""The online shop's data layer: schema, repositories, seed data, semantic search, carriers, outbox."""
