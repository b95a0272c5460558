-- tests/stress/programs.sql: a small SQL workload for tests/stress/programs.test.
-- Its output must not depend on the malloc sqlite3 runs with.
PRAGMA journal_mode = DELETE;
CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL, born INTEGER);
CREATE TABLE book(id INTEGER PRIMARY KEY, author INTEGER REFERENCES author(id),
                  title TEXT, pages INTEGER, body BLOB);
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000)
INSERT INTO author(name, born) SELECT printf('author-%04d', x * 613 % 2000), 1900 + x % 120 FROM n;
WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 30000)
INSERT INTO book(author, title, pages, body)
    SELECT 1 + x * 7919 % 2000, printf('title %d %s', x, hex(x * 2654435761 % 1000003)),
           50 + x * 31 % 900, zeroblob(x % 4096) FROM n;
CREATE INDEX book_author ON book(author);
CREATE INDEX book_title ON book(title);
SELECT count(*), sum(pages), sum(length(body)) FROM book;
SELECT a.name, count(b.id) AS n, sum(b.pages) AS p
    FROM author a JOIN book b ON b.author = a.id
    GROUP BY a.id ORDER BY n DESC, a.name LIMIT 5;
SELECT born / 10 * 10 AS decade, count(*), avg(pages)
    FROM author JOIN book ON book.author = author.id GROUP BY decade ORDER BY decade;
SELECT title, pages, rank() OVER (PARTITION BY pages % 7 ORDER BY pages DESC, title) AS r
    FROM book WHERE id % 1000 = 0 ORDER BY title;
SELECT group_concat(name, ',') FROM (SELECT name FROM author ORDER BY name LIMIT 20);
UPDATE book SET body = x'', title = upper(title) WHERE id % 3 = 0;
DELETE FROM book WHERE id % 5 = 0;
VACUUM;
SELECT count(*), sum(length(title)), max(title) FROM book;
SELECT json_group_array(json_object('id', id, 'pages', pages))
    FROM (SELECT id, pages FROM book ORDER BY id LIMIT 10);
PRAGMA integrity_check;
