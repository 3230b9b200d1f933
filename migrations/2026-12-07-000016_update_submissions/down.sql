DROP TABLE update_submissions;
