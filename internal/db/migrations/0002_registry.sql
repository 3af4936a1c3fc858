-- Places: the statutory divisions and the 832 national poverty counties.
CREATE TABLE provinces (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region TEXT NOT NULL
);

CREATE TABLE prefectures (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    province_code TEXT NOT NULL REFERENCES provinces(code)
);

CREATE TABLE counties (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefecture_code TEXT NOT NULL REFERENCES prefectures(code),
    province_code TEXT NOT NULL REFERENCES provinces(code),
    poverty INTEGER NOT NULL DEFAULT 0,
    region TEXT NOT NULL,
    exit_year INTEGER,
    listed_name TEXT
);
CREATE INDEX counties_province ON counties(province_code);

CREATE TABLE villages (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties(code),
    name TEXT NOT NULL,
    town TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (county_code, town, name)
);

-- Registered poor households (建档立卡). Status is written only by assessment.
CREATE TABLE households (
    id TEXT PRIMARY KEY,
    county_code TEXT NOT NULL REFERENCES counties(code),
    village_id TEXT NOT NULL REFERENCES villages(id),
    number TEXT NOT NULL,
    head_name TEXT NOT NULL,
    registered_year INTEGER NOT NULL,
    poverty_cause TEXT NOT NULL,
    food_clothing_secure INTEGER NOT NULL,
    compulsory_education INTEGER NOT NULL,
    medical_insurance INTEGER NOT NULL,
    housing_safety TEXT NOT NULL,
    safe_water INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'poor',
    status_year INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (county_code, number)
);
CREATE INDEX households_village ON households(village_id);
CREATE INDEX households_county_status ON households(county_code, status);

-- Members. Identity and phone numbers are stored encrypted (*_enc), looked up by a
-- keyed hash (*_hash) and shown masked (*_mask); no plain copy exists anywhere.
CREATE TABLE members (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households(id),
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    id_enc TEXT NOT NULL,
    id_hash TEXT NOT NULL UNIQUE,
    id_mask TEXT NOT NULL,
    phone_enc TEXT NOT NULL DEFAULT '',
    phone_hash TEXT NOT NULL DEFAULT '',
    phone_mask TEXT NOT NULL DEFAULT '',
    labour TEXT NOT NULL,
    health TEXT NOT NULL,
    schooling TEXT NOT NULL,
    in_school INTEGER NOT NULL DEFAULT 0,
    disability TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX members_household ON members(household_id);
CREATE INDEX members_phone ON members(phone_hash);

-- Every change to a household or its members: who, when, what (personal values masked).
CREATE TABLE household_history (
    id TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES households(id),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX household_history_household ON household_history(household_id, at);
