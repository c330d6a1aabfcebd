-- PostgreSQL's 0026 makes the residents' paths compare byte-wise; SQLite
-- compares text byte-wise already (BINARY). Kept so both engines count the same migrations.
SELECT 1;
