DROP TABLE death_reviews;
