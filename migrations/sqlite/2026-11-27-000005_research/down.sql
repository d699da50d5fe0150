DROP TABLE research_releases;
DROP TABLE research_requests;
