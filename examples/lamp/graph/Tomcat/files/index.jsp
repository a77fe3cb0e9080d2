<%-- The web application: one page that proves the whole chain works
     (Apache -> mod_jk -> this Tomcat -> MySQL through jdbc/lamp). --%>
<%@ page import="java.sql.*, javax.naming.*, javax.sql.DataSource" %>
<html><body>
<h1>LAMP deployed by Roboconf</h1>
<p>Served by <%= request.getLocalAddr() %>, session <%= session.getId() %> (the suffix is the jvmRoute).</p>
<%
	DataSource ds = (DataSource) new InitialContext().lookup("java:comp/env/jdbc/lamp");
	try (Connection c = ds.getConnection()) {
		out.println("<p>Database: " + c.getMetaData().getDatabaseProductVersion() + "</p>");
	}
%>
</body></html>
