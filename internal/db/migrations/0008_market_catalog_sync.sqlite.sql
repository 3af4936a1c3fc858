-- SQLite: the product search index (FTS5, trigram tokenizer: Chinese has no spaces,
-- so every three-character substring is a token) and the triggers that keep it
-- and the public trace codes in sync with products, shops and brands. Writes in
-- market code stay unaware of the index.

-- One search document per product: name and tags (category, brands) apart for
-- relevance, body for matching. All lower-cased.
CREATE TABLE market_search (
    doc INTEGER PRIMARY KEY,
    product_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    body TEXT NOT NULL
);

CREATE VIRTUAL TABLE market_search_fts USING fts5(body, content='market_search', content_rowid='doc', tokenize='trigram');

CREATE TRIGGER market_search_ai AFTER INSERT ON market_search BEGIN
    INSERT INTO market_search_fts (rowid, body) VALUES (new.doc, new.body);
END;
CREATE TRIGGER market_search_ad AFTER DELETE ON market_search BEGIN
    INSERT INTO market_search_fts (market_search_fts, rowid, body) VALUES ('delete', old.doc, old.body);
END;
CREATE TRIGGER market_search_au AFTER UPDATE ON market_search BEGIN
    INSERT INTO market_search_fts (market_search_fts, rowid, body) VALUES ('delete', old.doc, old.body);
    INSERT INTO market_search_fts (rowid, body) VALUES (new.doc, new.body);
END;

-- What a product's search document says: product, shop, origin county and
-- province, brands.
CREATE VIEW market_search_source AS
SELECT p.id AS product_id,
       lower(p.name) AS name,
       lower(p.category || ' ' || COALESCE((SELECT group_concat(b.name, ' ') FROM market_brand_members m
            JOIN market_brands b ON b.id = m.brand_id WHERE m.product_id = p.id), '')) AS tags,
       lower(p.name || ' ' || p.category || ' ' || s.name || ' ' || c.name || ' ' || v.name || ' ' ||
            COALESCE((SELECT group_concat(b.name, ' ') FROM market_brand_members m
            JOIN market_brands b ON b.id = m.brand_id WHERE m.product_id = p.id), '')) AS body
FROM market_products p
JOIN market_shops s ON s.id = p.shop_id
JOIN counties c ON c.code = p.origin_county
JOIN provinces v ON v.code = c.province_code;

CREATE TRIGGER market_products_search_ai AFTER INSERT ON market_products BEGIN
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source WHERE product_id = new.id;
    INSERT INTO market_trace_codes (code, product_id, created_at) VALUES (upper(hex(randomblob(6))), new.id, new.created_at);
END;
-- Stock and sold change on every order; only the searchable columns re-index.
CREATE TRIGGER market_products_search_au AFTER UPDATE OF name, category, shop_id, origin_county ON market_products BEGIN
    DELETE FROM market_search WHERE product_id = old.id;
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source WHERE product_id = new.id;
END;
CREATE TRIGGER market_products_search_ad AFTER DELETE ON market_products BEGIN
    DELETE FROM market_search WHERE product_id = old.id;
END;
CREATE TRIGGER market_shops_search_au AFTER UPDATE OF name ON market_shops BEGIN
    DELETE FROM market_search WHERE product_id IN (SELECT id FROM market_products WHERE shop_id = new.id);
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source
        WHERE product_id IN (SELECT id FROM market_products WHERE shop_id = new.id);
END;
CREATE TRIGGER market_brand_members_search_ai AFTER INSERT ON market_brand_members BEGIN
    DELETE FROM market_search WHERE product_id = new.product_id;
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source WHERE product_id = new.product_id;
END;
CREATE TRIGGER market_brand_members_search_ad AFTER DELETE ON market_brand_members BEGIN
    DELETE FROM market_search WHERE product_id = old.product_id;
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source WHERE product_id = old.product_id;
END;
CREATE TRIGGER market_brands_search_au AFTER UPDATE OF name ON market_brands BEGIN
    DELETE FROM market_search WHERE product_id IN (SELECT product_id FROM market_brand_members WHERE brand_id = new.id);
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source
        WHERE product_id IN (SELECT product_id FROM market_brand_members WHERE brand_id = new.id);
END;

-- Products listed before this migration.
INSERT INTO market_search (product_id, name, tags, body) SELECT product_id, name, tags, body FROM market_search_source;
INSERT INTO market_trace_codes (code, product_id, created_at) SELECT upper(hex(randomblob(6))), id, created_at FROM market_products;
