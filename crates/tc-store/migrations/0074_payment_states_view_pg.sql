-- postgres only
-- The view of the payment lines' states (migration 0073) as joins: each row to the message whose
-- range holds it (a planned row of a whole county's message) and to the message it names (a row
-- issued alone), which PostgreSQL answers by hash joins over a month's lines.
CREATE VIEW payroll_lines AS
    SELECT l.month, l.person_id, l.item, l.attempt, l.county, l.amount_fen, l.end_to_end,
           COALESCE(l.msg_id, f.msg_id) AS msg_id,
           CASE WHEN l.status IN ('planned', 'issued') AND COALESCE(g.paid, f.paid) = 1 THEN 'paid'
                WHEN f.msg_id IS NOT NULL THEN 'issued'
                ELSE l.status END AS status,
           l.reissue_of, l.reason, l.held
      FROM payroll_line_rows l
      LEFT JOIN payment_files f
        ON l.msg_id IS NULL AND l.status = 'planned' AND f.month = l.month AND f.county = l.county
       AND f.first_e2e <= l.end_to_end AND f.last_e2e >= l.end_to_end
      LEFT JOIN payment_files g ON g.msg_id = l.msg_id;

-- The payment lines' pages full again (migration 0073): a line is written once and rewritten
-- only when something happens to it alone (returned, deferred, carried, issued or paid one by
-- one), so the half of each page 0064 kept free for its two rewrites per month is no longer
-- used. Existing pages keep their fill; new ones are filled.
ALTER TABLE payroll_lines_y2015 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2020 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2025 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2030 SET (fillfactor = 100);
ALTER TABLE payroll_lines_y2035 SET (fillfactor = 100);
ALTER TABLE payroll_lines_other SET (fillfactor = 100);
