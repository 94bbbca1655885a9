-- When an operation ended: fixed by the poll that first reports it done, so every later poll
-- shows the same endTime (it was the time of each poll before).
alter table operations add column ended_at text;
