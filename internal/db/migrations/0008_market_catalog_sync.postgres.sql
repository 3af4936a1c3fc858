-- PostgreSQL: the product search documents with a pg_trgm GIN index (trigrams
-- serve Chinese, which has no spaces; LIKE '%…%' uses the index), and the
-- triggers that keep them and the public trace codes in sync with products, shops
-- and brands. Writes in market code stay unaware of the index.

-- One search document per product: name and tags (category, brands) apart for
-- relevance, body for matching. All lower-cased.
CREATE TABLE market_search (
    product_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    tags TEXT NOT NULL,
    body TEXT NOT NULL
);

-- pg_trgm is database-wide: install it once into public (serialised, as test
-- schemas migrate concurrently), find it wherever it lives, and index with its
-- operator class. Without the extension search still works, unindexed.
DO $$
DECLARE
    ext_schema TEXT;
BEGIN
    PERFORM pg_advisory_xact_lock(7295001);
    SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
            ext_schema := 'public';
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'pg_trgm unavailable (%): product search runs without a trigram index', SQLERRM;
        END;
    END IF;
    IF ext_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX market_search_body_trgm ON market_search USING gin (body %I.gin_trgm_ops)', ext_schema);
    END IF;
END
$$;

-- What a product's search document says: product, shop, origin county and
-- province, brands.
CREATE VIEW market_search_source AS
SELECT p.id AS product_id,
       lower(p.name) AS name,
       lower(p.category || ' ' || COALESCE((SELECT string_agg(b.name, ' ') FROM market_brand_members m
            JOIN market_brands b ON b.id = m.brand_id WHERE m.product_id = p.id), '')) AS tags,
       lower(p.name || ' ' || p.category || ' ' || s.name || ' ' || c.name || ' ' || v.name || ' ' ||
            COALESCE((SELECT string_agg(b.name, ' ') FROM market_brand_members m
            JOIN market_brands b ON b.id = m.brand_id WHERE m.product_id = p.id), '')) AS body
FROM market_products p
JOIN market_shops s ON s.id = p.shop_id
JOIN counties c ON c.code = p.origin_county
JOIN provinces v ON v.code = c.province_code;

CREATE FUNCTION market_search_refresh(pid TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM market_search WHERE product_id = pid;
    INSERT INTO market_search (product_id, name, tags, body)
        SELECT product_id, name, tags, body FROM market_search_source WHERE product_id = pid;
END
$$;

CREATE FUNCTION market_products_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM market_search WHERE product_id = OLD.id;
        RETURN OLD;
    END IF;
    PERFORM market_search_refresh(NEW.id);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO market_trace_codes (code, product_id, created_at)
            VALUES (upper(substr(md5(random()::text || clock_timestamp()::text || NEW.id), 1, 12)), NEW.id, NEW.created_at);
    END IF;
    RETURN NEW;
END
$$;
-- Stock and sold change on every order; only the searchable columns re-index.
CREATE TRIGGER market_products_sync AFTER INSERT OR DELETE OR UPDATE OF name, category, shop_id, origin_county
    ON market_products FOR EACH ROW EXECUTE FUNCTION market_products_sync();

CREATE FUNCTION market_shops_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM market_search_refresh(p.id) FROM market_products p WHERE p.shop_id = NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER market_shops_search_sync AFTER UPDATE OF name ON market_shops
    FOR EACH ROW EXECUTE FUNCTION market_shops_search_sync();

CREATE FUNCTION market_brand_members_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM market_search_refresh(OLD.product_id);
        RETURN OLD;
    END IF;
    PERFORM market_search_refresh(NEW.product_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER market_brand_members_search_sync AFTER INSERT OR DELETE ON market_brand_members
    FOR EACH ROW EXECUTE FUNCTION market_brand_members_search_sync();

CREATE FUNCTION market_brands_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM market_search_refresh(m.product_id) FROM market_brand_members m WHERE m.brand_id = NEW.id;
    RETURN NEW;
END
$$;
CREATE TRIGGER market_brands_search_sync AFTER UPDATE OF name ON market_brands
    FOR EACH ROW EXECUTE FUNCTION market_brands_search_sync();

-- Products listed before this migration.
INSERT INTO market_search (product_id, name, tags, body) SELECT product_id, name, tags, body FROM market_search_source;
INSERT INTO market_trace_codes (code, product_id, created_at)
    SELECT upper(substr(md5(random()::text || id), 1, 12)), id, created_at FROM market_products;
